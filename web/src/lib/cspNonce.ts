/**
 * The page's CSP nonce (the server puts a fresh one in `<meta property="csp-nonce">` of every index.html).
 * Radix dialogs lock page scrolling with a small `<style>` element (react-remove-scroll); it asks for a nonce
 * through the `__webpack_nonce__` global, and without one the policy would refuse it.
 */
export function shareCspNonce(doc: Document = document): string | undefined {
  const nonce = doc.querySelector<HTMLMetaElement>('meta[property="csp-nonce"]')?.nonce || undefined;
  if (nonce) (globalThis as { __webpack_nonce__?: string }).__webpack_nonce__ = nonce;
  return nonce;
}
