import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Popover } from "radix-ui";
import { Pencil, SmilePlus, Trash2 } from "lucide-react";
import { useCallback, useEffect, useId, useMemo, useRef, useState, type KeyboardEvent } from "react";
import { toast } from "sonner";
import { api, ApiError, errorMessage, unwrap, type Comment, type Member } from "../../api/client";
import { qk, useMe } from "../../api/queries";
import { Avatar, relativeTime } from "../../components/ui";
import { offerUndo } from "../../lib/undo";
import { Markdown } from "./LazyMarkdown";
import type { MentionPerson } from "./Markdown";

export const EMOJIS = ["👍", "🎉", "❤️", "🚀", "👀", "😄", "🔥", "✅"];

/** Whom a comment's @tokens may name: those the server found (with their emails, from the member list, for
 * `@local-part` mentions); a comment not yet saved has no such list, so any member it names. */
function mentionedIn(c: Comment, members: Member[]): MentionPerson[] {
  if (c.id.startsWith("temp-")) return members;
  return c.mentions.map((u) => members.find((m) => m.user_id === u.id) ?? { name: u.name });
}

/** The token a member is mentioned by: their name without spaces (what the server matches first). */
export function mentionHandle(name: string): string {
  return name.replace(/\s+/g, "");
}

/** The `@partial` being typed at the caret, if any. */
export function mentionQuery(text: string, caret: number): { start: number; query: string } | null {
  const before = text.slice(0, caret);
  const m = /(^|[^\w@])@([\p{L}\p{N}._'-]*)$/u.exec(before);
  if (!m) return null;
  return { start: caret - m[2].length - 1, query: m[2] };
}

export function filterMembers(members: Member[], query: string, exclude?: string): Member[] {
  const q = query.toLowerCase();
  return members
    .filter((m) => m.user_id !== exclude)
    .filter((m) => !q || m.name.toLowerCase().split(/\s+/).some((w) => w.startsWith(q)) || mentionHandle(m.name).toLowerCase().startsWith(q) || m.email.toLowerCase().startsWith(q))
    .slice(0, 6);
}

/**
 * A textarea with @mention autocomplete. Ctrl/Cmd+Enter submits; with `onCancel`, Escape cancels.
 * While it owns Escape (its suggestion list is open, or it has `onCancel`) it carries `data-captures-escape`,
 * which tells an enclosing dialog (the task drawer) not to close on that key.
 */
export function MentionTextarea({ value, onChange, members, onSubmit, onCancel, placeholder, meId, label, testId = "comment-input", autoFocus }: { value: string; onChange: (v: string) => void; members: Member[]; onSubmit: () => void; onCancel?: () => void; placeholder?: string; meId?: string; label: string; testId?: string; autoFocus?: boolean }) {
  const ref = useRef<HTMLTextAreaElement>(null);
  const [caret, setCaret] = useState(0);
  const [sel, setSel] = useState(0);
  const [dismissed, setDismissed] = useState<number | null>(null);
  const mq = mentionQuery(value, caret);
  const options = useMemo(() => (mq ? filterMembers(members, mq.query, meId) : []), [mq?.query, members, meId]); // eslint-disable-line react-hooks/exhaustive-deps
  const open = !!mq && options.length > 0 && dismissed !== mq.start;
  const listId = `mention-options${useId()}`;
  useEffect(() => {
    // Editing starts with the caret after the existing text, as in Linear and Jira.
    const el = ref.current;
    if (!autoFocus || !el) return;
    el.focus();
    el.setSelectionRange(el.value.length, el.value.length);
    setCaret(el.value.length);
  }, [autoFocus]);

  const pick = (m: Member) => {
    if (!mq) return;
    const insert = `@${mentionHandle(m.name)} `;
    const next = value.slice(0, mq.start) + insert + value.slice(caret);
    onChange(next);
    const pos = mq.start + insert.length;
    requestAnimationFrame(() => {
      ref.current?.focus();
      ref.current?.setSelectionRange(pos, pos);
      setCaret(pos);
    });
    setSel(0);
  };
  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (open) {
      if (e.key === "ArrowDown") return e.preventDefault(), setSel((s) => (s + 1) % options.length);
      if (e.key === "ArrowUp") return e.preventDefault(), setSel((s) => (s - 1 + options.length) % options.length);
      if (e.key === "Enter" || e.key === "Tab") return e.preventDefault(), pick(options[Math.min(sel, options.length - 1)]);
      if (e.key === "Escape") return e.preventDefault(), setDismissed(mq!.start);
    }
    if (e.key === "Enter" && (e.metaKey || e.ctrlKey)) {
      e.preventDefault();
      onSubmit();
    }
    if (e.key === "Escape" && onCancel) {
      e.preventDefault();
      onCancel();
    }
  };
  return (
    <div className="composer">
      <textarea
        ref={ref}
        className="textarea"
        value={value}
        placeholder={placeholder}
        aria-label={label}
        onChange={(e) => {
          onChange(e.target.value);
          setCaret(e.target.selectionStart);
          setSel(0);
        }}
        onSelect={(e) => setCaret(e.currentTarget.selectionStart)}
        onKeyDown={onKeyDown}
        role="combobox"
        aria-expanded={open}
        aria-controls={open ? listId : undefined}
        aria-autocomplete="list"
        data-captures-escape={open || onCancel ? "" : undefined}
        data-testid={testId}
      />
      {open && (
        <ul className="popover mention-list" id={listId} role="listbox" aria-label="Mention a teammate">
          {options.map((m, i) => (
            <li key={m.user_id} role="option" aria-selected={i === sel} onMouseDown={(e) => { e.preventDefault(); pick(m); }} onMouseEnter={() => setSel(i)}>
              <Avatar id={m.user_id} name={m.name} size="sm" />
              <span>
                <b>{m.name}</b> <span className="muted small">@{mentionHandle(m.name)}</span>
              </span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function ReactionBar({ groups, onToggle, label }: { groups: { emoji: string; count: number; reacted_by_me: boolean }[]; onToggle: (emoji: string, mine: boolean) => void; label: string }) {
  return (
    <div className="reactions">
      {groups.map((g) => (
        <button key={g.emoji} className={`reaction ${g.reacted_by_me ? "mine" : ""}`} onClick={() => onToggle(g.emoji, g.reacted_by_me)} aria-pressed={g.reacted_by_me} aria-label={`${g.emoji} ${g.count}${g.reacted_by_me ? ", you reacted" : ""}`}>
          <span aria-hidden>{g.emoji}</span> {g.count}
        </button>
      ))}
      <Popover.Root>
        <Popover.Trigger asChild>
          <button className="reaction" aria-label={`Add reaction to ${label}`}>
            <SmilePlus size={14} />
          </button>
        </Popover.Trigger>
        <Popover.Portal>
          <Popover.Content className="popover" style={{ width: "auto", padding: 6 }} sideOffset={4} aria-label="Pick a reaction">
            <div className="row">
              {EMOJIS.map((e) => (
                <Popover.Close asChild key={e}>
                  <button className="btn ghost icon sm" style={{ fontSize: 17 }} onClick={() => onToggle(e, !!groups.find((g) => g.emoji === e)?.reacted_by_me)} aria-label={`React ${e}`}>
                    {e}
                  </button>
                </Popover.Close>
              ))}
            </div>
          </Popover.Content>
        </Popover.Portal>
      </Popover.Root>
    </div>
  );
}

export function Comments({ taskId, members }: { taskId: string; members: Member[] }) {
  const qc = useQueryClient();
  const me = useMe();
  const [draft, setDraft] = useState("");
  /** The comment being edited inline (one at a time) and its unsaved text. */
  const [editing, setEditing] = useState<{ id: string; draft: string } | null>(null);
  const editButtons = useRef(new Map<string, HTMLButtonElement>());
  // The whole editor (its Save and Cancel too) scrolls into view when it opens, not just the textarea.
  const revealEditor = useCallback((el: HTMLDivElement | null) => el?.scrollIntoView?.({ block: "nearest" }), []);
  const comments = useQuery({
    queryKey: qk.comments(taskId),
    queryFn: async () => (await unwrap(api.GET("/api/v1/tasks/{task_id}/comments", { params: { path: { task_id: taskId }, query: { limit: 100 } } }))).items,
  });
  const post = useMutation({
    mutationFn: (body: string) => unwrap(api.POST("/api/v1/tasks/{task_id}/comments", { params: { path: { task_id: taskId } }, body: { body } })),
    onMutate: (body) => {
      const prev = qc.getQueryData<Comment[]>(qk.comments(taskId));
      const now = new Date().toISOString();
      const temp: Comment = { id: `temp-${now}`, task_id: taskId, author: me.data ? { id: me.data.id, name: me.data.name } : null, body, mentions: [], reactions: [], created_at: now, updated_at: now, edited_at: null };
      qc.setQueryData<Comment[]>(qk.comments(taskId), (old) => [...(old ?? []), temp]);
      setDraft("");
      return { prev, body };
    },
    onError: (e, _b, ctx) => {
      qc.setQueryData(qk.comments(taskId), ctx?.prev);
      setDraft(ctx?.body ?? "");
      toast.error(`Couldn't post your comment: ${errorMessage(e)}`);
    },
    onSettled: () => {
      void qc.invalidateQueries({ queryKey: qk.comments(taskId) });
      void qc.invalidateQueries({ queryKey: qk.taskActivity(taskId) });
    },
  });
  const remove = useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE("/api/v1/comments/{comment_id}", { params: { path: { comment_id: id } } })),
    onMutate: (id) => {
      const prev = qc.getQueryData<Comment[]>(qk.comments(taskId));
      qc.setQueryData<Comment[]>(qk.comments(taskId), (old) => old?.filter((c) => c.id !== id));
      return { prev };
    },
    onError: (e, _id, ctx) => {
      qc.setQueryData(qk.comments(taskId), ctx?.prev);
      toast.error(`Couldn't delete the comment: ${errorMessage(e)}`);
    },
    onSuccess: (_d, id) =>
      offerUndo(
        "Comment deleted",
        async () => {
          await unwrap(api.POST("/api/v1/comments/{comment_id}/restore", { params: { path: { comment_id: id } } }));
          await qc.invalidateQueries({ queryKey: qk.comments(taskId) });
        },
        "Comment restored",
      ),
  });
  // No version on comments: only the author may edit, so the last save wins (the server ignores an unchanged body).
  const edit = useMutation({
    mutationFn: ({ id, body }: { id: string; body: string }) => unwrap(api.PATCH("/api/v1/comments/{comment_id}", { params: { path: { comment_id: id } }, body: { body } })),
    onMutate: async ({ id, body }) => {
      await qc.cancelQueries({ queryKey: qk.comments(taskId) }); // a refetch in flight must not undo the optimistic body
      const prev = qc.getQueryData<Comment[]>(qk.comments(taskId));
      const now = new Date().toISOString();
      qc.setQueryData<Comment[]>(qk.comments(taskId), (old) => old?.map((c) => (c.id === id ? { ...c, body, edited_at: now, updated_at: now } : c)));
      return { prev };
    },
    onSuccess: (saved) => qc.setQueryData<Comment[]>(qk.comments(taskId), (old) => old?.map((c) => (c.id === saved.id ? saved : c))),
    onError: (e, { id, body }, ctx) => {
      qc.setQueryData(qk.comments(taskId), ctx?.prev);
      if (e instanceof ApiError && e.status === 404) {
        toast.error("That comment was deleted, so your edit wasn't saved.");
        return;
      }
      // Give the text back so nothing typed is lost (unless another comment is being edited by now).
      setEditing((cur) => cur ?? { id, draft: body });
      toast.error(`Couldn't save your edit: ${errorMessage(e)}`);
    },
    onSettled: () => {
      void qc.invalidateQueries({ queryKey: qk.comments(taskId) });
      void qc.invalidateQueries({ queryKey: qk.taskActivity(taskId) });
    },
  });
  const react = useMutation({
    mutationFn: ({ id, emoji, mine }: { id: string; emoji: string; mine: boolean }) =>
      mine
        ? unwrap(api.DELETE("/api/v1/comments/{comment_id}/reactions/{emoji}", { params: { path: { comment_id: id, emoji } } }))
        : unwrap(api.POST("/api/v1/comments/{comment_id}/reactions", { params: { path: { comment_id: id } }, body: { emoji } })),
    onMutate: ({ id, emoji, mine }) => {
      const prev = qc.getQueryData<Comment[]>(qk.comments(taskId));
      qc.setQueryData<Comment[]>(qk.comments(taskId), (old) =>
        old?.map((c) => {
          if (c.id !== id) return c;
          const has = c.reactions.find((r) => r.emoji === emoji);
          const reactions = has
            ? c.reactions.map((r) => (r.emoji === emoji ? { ...r, count: r.count + (mine ? -1 : 1), reacted_by_me: !mine } : r)).filter((r) => r.count > 0)
            : [...c.reactions, { emoji, count: 1, reacted_by_me: true }];
          return { ...c, reactions };
        }),
      );
      return { prev };
    },
    onError: (e, _v, ctx) => {
      qc.setQueryData(qk.comments(taskId), ctx?.prev);
      toast.error(`Couldn't react: ${errorMessage(e)}`);
    },
  });
  const submit = () => {
    if (draft.trim()) post.mutate(draft.trim());
  };
  const closeEditor = (id: string) => {
    setEditing(null);
    requestAnimationFrame(() => editButtons.current.get(id)?.focus()); // focus goes back where editing began
  };
  const saveEdit = (c: Comment) => {
    const body = editing?.id === c.id ? editing.draft.trim() : "";
    if (!body || edit.isPending) return;
    if (body !== c.body) edit.mutate({ id: c.id, body });
    closeEditor(c.id);
  };
  const list = comments.data ?? [];
  return (
    <div>
      {list.length === 0 && !comments.isPending && <p className="muted small">No comments yet. Ask a question, share progress, or @mention a teammate.</p>}
      {list.map((c) => (
        <div className="comment" key={c.id} data-testid="comment">
          {c.author ? <Avatar id={c.author.id} name={c.author.name} /> : <span className="avatar" />}
          <div className="comment-body">
            <div className="comment-meta">
              <b>{c.author?.name ?? "Deleted user"}</b>
              <span className="muted">{c.id.startsWith("temp-") ? "sending…" : relativeTime(c.created_at)}</span>
              {c.edited_at && (
                <span className="muted" title={`Edited ${new Date(c.edited_at).toLocaleString()}`}>
                  (edited)
                </span>
              )}
              <span className="spacer" />
              {c.author?.id === me.data?.id && !c.id.startsWith("temp-") && editing?.id !== c.id && (
                <>
                  <button
                    className="btn ghost icon sm"
                    ref={(el) => {
                      if (el) editButtons.current.set(c.id, el);
                      else editButtons.current.delete(c.id);
                    }}
                    onClick={() => setEditing({ id: c.id, draft: c.body })}
                    aria-label="Edit comment"
                    title="Edit"
                  >
                    <Pencil size={13} />
                  </button>
                  <button className="btn ghost icon sm" onClick={() => remove.mutate(c.id)} aria-label="Delete comment" title="Delete">
                    <Trash2 size={13} />
                  </button>
                </>
              )}
            </div>
            {editing?.id === c.id ? (
              <div className="stack comment-edit" ref={revealEditor} role="group" aria-label="Editing your comment">
                <MentionTextarea
                  value={editing.draft}
                  onChange={(v) => setEditing({ id: c.id, draft: v })}
                  members={members}
                  onSubmit={() => saveEdit(c)}
                  onCancel={() => closeEditor(c.id)}
                  meId={me.data?.id}
                  label="Edit your comment"
                  testId="comment-edit-input"
                  autoFocus
                />
                <div className="row">
                  <span className="tiny muted hide-sm">
                    <span className="kbd">Ctrl</span> + <span className="kbd">Enter</span> to save · <span className="kbd">Esc</span> to cancel
                  </span>
                  <span className="spacer" />
                  <button className="btn sm" onClick={() => closeEditor(c.id)}>
                    Cancel
                  </button>
                  <button className="btn primary sm" onClick={() => saveEdit(c)} disabled={!editing.draft.trim() || edit.isPending}>
                    Save
                  </button>
                </div>
              </div>
            ) : (
              <Markdown text={c.body} mentions={mentionedIn(c, members)} />
            )}
            {!c.id.startsWith("temp-") && <ReactionBar groups={c.reactions} label="comment" onToggle={(emoji, mine) => react.mutate({ id: c.id, emoji, mine })} />}
          </div>
        </div>
      ))}
      <div className="stack" style={{ marginTop: 12 }}>
        <MentionTextarea value={draft} onChange={setDraft} members={members} onSubmit={submit} meId={me.data?.id} placeholder="Write a comment… Type @ to mention. Markdown works." label="Write a comment" />
        <div className="row">
          <span className="tiny muted hide-sm">
            <span className="kbd">Ctrl</span> + <span className="kbd">Enter</span> to send
          </span>
          <span className="spacer" />
          <button className="btn primary sm" onClick={submit} disabled={!draft.trim() || post.isPending}>
            Comment
          </button>
        </div>
      </div>
    </div>
  );
}
