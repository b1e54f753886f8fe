/**
 * Panels about one program that analyses contribute to the page. The verifier (per-instruction state and verdict) is
 * the first: a panel gets the opened object and the selected program and returns what to show, and `main.ts` renders
 * every panel of `PANELS` under its title. A panel that throws shows its error in its place, not a blank page.
 */
import { h } from './dom.js';
import type { OpenedObject } from './session.js';

/** ProgramPanel is an analysis shown for the selected program. */
export interface ProgramPanel {
  id: string;
  title: string;
  show(obj: OpenedObject, program: string): HTMLElement;
}

/**
 * verifierPanel says that this build has no verifier yet. When src/verifier reaches main it becomes the verdict and
 * the per-instruction state log of `verifySpec`, marked on the listing's rows like the traced steps.
 */
const verifierPanel: ProgramPanel = {
  id: 'verifier',
  title: 'verifier',
  show: () => h('p', { class: 'muted' }, 'this build has no verifier yet: programs run with every runtime check (bounds, budget) instead of proofs'),
};

/** PANELS are the program panels, in page order. */
export const PANELS: ProgramPanel[] = [verifierPanel];
