/** Whether no element has the keyboard focus: it fell to the page's body with what held it. */
export function focusIsNowhere(): boolean {
  return document.activeElement === null || document.activeElement === document.body;
}
