/**
 * The playground's whole DOM toolkit: one element builder. Text always goes in as text nodes, never as HTML, so an
 * object's strings (section names, C source lines, trace_printk output) cannot inject markup into the page.
 */

/** Child is what `h` accepts as content: nodes, text, numbers; null, undefined and false are skipped. */
export type Child = Node | string | number | null | undefined | false | Child[];

/** Attrs are attributes (strings), `class`, `dataset` entries as `data-*`, and `on*` event handlers. */
export type Attrs = Record<string, string | number | boolean | undefined | ((ev: Event) => void)>;

/** h builds an element with attributes and children (`h('td', { class: 'pc' }, 12)`). */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
  }
}

/** replace empties `el` and fills it with `children`. */
export function replace(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

/** byId returns the element with that id, which the page's HTML must contain. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the page has no #${id}`);
  return el as T;
}
