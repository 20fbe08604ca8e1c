import ReactMarkdown, { defaultUrlTransform, type UrlTransform } from "react-markdown";
import remarkGfm from "remark-gfm";
import { Children, isValidElement, cloneElement, type ReactNode } from "react";

/** Highlight @mentions in plain text children (not in code). */
function withMentions(children: ReactNode): ReactNode {
  return Children.map(children, (child) => {
    if (typeof child === "string") {
      const parts = child.split(/((?<![\w.])@[\p{L}\p{N}][\p{L}\p{N}._'+-]*)/u);
      return parts.map((p, i) => (i % 2 === 1 ? <span key={i} className="mention">{p}</span> : p));
    }
    if (isValidElement<{ children?: ReactNode }>(child) && child.type !== "code" && child.props.children) {
      return cloneElement(child, undefined, withMentions(child.props.children));
    }
    return child;
  });
}

/** Inline images this page may embed: PNG, GIF, JPEG, WebP or SVG as data: URLs (an SVG in an <img> runs no script). */
const DATA_IMAGE = /^data:image\/(png|gif|jpeg|webp|svg\+xml)[;,]/i;

/**
 * Images only from this site or inline data: a remote image would make every reader's browser call a host
 * the author picked (tracking pixels, address logging), and the Content-Security-Policy (img-src 'self'
 * data:) refuses them anyway. A remote image shows as a link the reader may choose to open.
 */
export function isEmbeddableImage(src: string | undefined, origin = location.origin): boolean {
  if (!src) return false;
  if (DATA_IMAGE.test(src)) return true;
  try {
    return new URL(src, origin).origin === origin;
  } catch {
    return false;
  }
}

/** The default transform drops data: URLs; keep them for images only. */
const urlTransform: UrlTransform = (url, key, node) =>
  key === "src" && node.tagName === "img" && DATA_IMAGE.test(url) ? url : defaultUrlTransform(url);

/** Markdown rendered safely: no raw HTML (react-markdown escapes it), unsafe URLs dropped, links open in a new tab. */
export function Markdown({ text, mentions }: { text: string; mentions?: boolean }) {
  return (
    <div className="markdown">
      <ReactMarkdown
        remarkPlugins={[remarkGfm]}
        skipHtml
        urlTransform={urlTransform}
        components={{
          img: ({ src, alt }) => {
            const url = typeof src === "string" ? src : undefined;
            if (isEmbeddableImage(url)) return <img src={url} alt={alt ?? ""} loading="lazy" />;
            return url ? (
              <a href={url} target="_blank" rel="noopener noreferrer nofollow" className="md-remote-image">
                {alt ? `Image: ${alt}` : "Image"} (external)
              </a>
            ) : (
              <span className="md-remote-image">{alt || "Image"}</span>
            );
          },
          a: ({ href, children }) => (
            <a href={href} target="_blank" rel="noopener noreferrer nofollow">
              {children}
            </a>
          ),
          ...(mentions
            ? {
                p: ({ children }) => <p>{withMentions(children)}</p>,
                li: ({ children }) => <li>{withMentions(children)}</li>,
              }
            : {}),
        }}
      >
        {text}
      </ReactMarkdown>
    </div>
  );
}
