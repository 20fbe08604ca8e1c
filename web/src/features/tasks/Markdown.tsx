import ReactMarkdown, { defaultUrlTransform, type UrlTransform } from "react-markdown";
import remarkGfm from "remark-gfm";
import { Children, isValidElement, cloneElement, type ReactNode } from "react";

/** Someone a comment may mention: the server matches `@` + their name without spaces, their first name, or
 * their email's local part (casefolded), trying the whole token, then the token cut before inner punctuation. */
export interface MentionPerson {
  name: string;
  email?: string;
}

const INNER_PUNCTUATION = ".'+-_";
// The server's token rule (comments/mentions.py): `@` not preceded by a word character or by .+-%/\@.
const MENTION = /((?<![\p{L}\p{N}.+\-%/\\@])@[\p{L}\p{N}][\p{L}\p{N}_.'+-]*)/u;

function mentionKeys(p: MentionPerson): string[] {
  const words = p.name.split(/\s+/).filter(Boolean);
  const keys = words.length ? [words.join(""), words[0]] : [];
  const local = p.email?.split("@")[0];
  if (local) keys.push(local);
  return keys.map((k) => k.toLowerCase());
}

/** The person an `@token` names, if exactly one of `people` (the same forms, longest first, as the server). */
export function resolveMention(token: string, people: MentionPerson[]): MentionPerson | null {
  const forms: string[] = [];
  const trimEnd = (t: string) => t.replace(/[.'+\-_]+$/, "");
  forms.push(trimEnd(token));
  for (let i = token.length - 1; i > 0; i--) if (INNER_PUNCTUATION.includes(token[i])) forms.push(trimEnd(token.slice(0, i)));
  for (const form of forms) {
    if (!form) continue;
    const found = people.filter((p) => mentionKeys(p).includes(form.toLowerCase()));
    if (found.length) return found.length === 1 ? found[0] : null;
  }
  return null;
}

/** Highlight the @mentions that name someone (not in code): an `@Da` that matches nobody stays plain text. */
function withMentions(children: ReactNode, people: MentionPerson[]): ReactNode {
  return Children.map(children, (child) => {
    if (typeof child === "string") {
      const parts = child.split(MENTION);
      return parts.map((p, i) => {
        const who = i % 2 === 1 ? resolveMention(p.slice(1), people) : null;
        if (!who) return p;
        // Trailing punctuation ("@Dana.") is the sentence's, not the mention's.
        const token = p.replace(/[.'+\-_]+$/, "");
        return (
          <span key={i}>
            <span className="mention" title={who.name}>
              {token}
            </span>
            {p.slice(token.length)}
          </span>
        );
      });
    }
    if (isValidElement<{ children?: ReactNode }>(child) && child.type !== "code" && child.props.children) {
      return cloneElement(child, undefined, withMentions(child.props.children, people));
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
export function Markdown({ text, mentions }: { text: string; mentions?: MentionPerson[] }) {
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
                p: ({ children }) => <p>{withMentions(children, mentions)}</p>,
                li: ({ children }) => <li>{withMentions(children, mentions)}</li>,
              }
            : {}),
        }}
      >
        {text}
      </ReactMarkdown>
    </div>
  );
}
