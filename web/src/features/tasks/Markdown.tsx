import ReactMarkdown from "react-markdown";
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

/** Markdown rendered safely: no raw HTML (react-markdown escapes it), unsafe URLs dropped, links open in a new tab. */
export function Markdown({ text, mentions }: { text: string; mentions?: boolean }) {
  return (
    <div className="markdown">
      <ReactMarkdown
        remarkPlugins={[remarkGfm]}
        skipHtml
        components={{
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
