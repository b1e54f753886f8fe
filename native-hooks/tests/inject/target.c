/*
 * target.c: a running process to inject into. Prints "ready PID", then TICKS lines "tick I SUM" every 10 ms
 * (SUM a double carried in registers across the sleeps, so a register or stack not restored exactly shows), while a
 * second thread keeps computing; ends with "done ok" when everything added up. Usage: target TICKS
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static atomic_int stop;
static atomic_long spins;

static void *spinner(void *arg)
{
	(void)arg;
	double x = 1.0;
	while (!atomic_load(&stop)) {
		x = x * 1.0000001 + 0.5;
		atomic_fetch_add(&spins, x > 0);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int ticks = argc > 1 ? atoi(argv[1]) : 200;
	pthread_t th;
	pthread_create(&th, NULL, spinner, NULL);
	printf("ready %d\n", getpid());
	fflush(stdout);
	double sum = 0;
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	for (int i = 0; i < ticks; i++) {
		sum += 0.5;
		printf("tick %d %.1f\n", i, sum);
		fflush(stdout);
		nanosleep(&ts, NULL);
	}
	atomic_store(&stop, 1);
	pthread_join(th, NULL);
	printf("done %s\n", sum == ticks * 0.5 && atomic_load(&spins) > 0 ? "ok" : "corrupt");
	return 0;
}
