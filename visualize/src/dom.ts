/** Small DOM builders: the page is plain TypeScript over the DOM and SVG, no framework. */

type Attributes = Readonly<Record<string, string | number | boolean | undefined>>;
type Child = Node | string;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  return fill(document.createElement(tag), attributes, children);
}

const SVG_NS = 'http://www.w3.org/2000/svg';

export function s<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): SVGElementTagNameMap[K] {
  return fill(document.createElementNS(SVG_NS, tag), attributes, children);
}

/** A `<button type="button">` with its test id and tooltip. */
export function button(
  testId: string,
  label: string,
  title: string,
  onClick?: () => void,
): HTMLButtonElement {
  const element = h('button', { type: 'button', 'data-testid': testId, title }, label);
  if (onClick !== undefined) element.addEventListener('click', onClick);
  return element;
}

/**
 * Scrolls `container` (only it, never the page) so `element` is in view: centred, or just
 * brought to the nearest edge.
 */
export function scrollWithin(container: Element, element: Element, mode: 'center' | 'nearest'): void {
  const box = container.getBoundingClientRect();
  const target = element.getBoundingClientRect();
  if (mode === 'center') {
    container.scrollTop += target.top + target.height / 2 - (box.top + box.height / 2);
    container.scrollLeft += target.left + target.width / 2 - (box.left + box.width / 2);
    return;
  }
  if (target.top < box.top) container.scrollTop -= box.top - target.top;
  else if (target.bottom > box.bottom) container.scrollTop += target.bottom - box.bottom;
}

/** Sets an attribute only when it changes: the page updates elements every frame. */
export function setAttr(element: Element, name: string, value: string | number): void {
  const text = String(value);
  if (element.getAttribute(name) !== text) element.setAttribute(name, text);
}

export function setText(element: Element, text: string): void {
  if (element.textContent !== text) element.textContent = text;
}

function fill<E extends Element>(element: E, attributes: Attributes, children: Child[]): E {
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    element.setAttribute(name, value === true ? '' : String(value));
  }
  element.append(...children);
  return element;
}
