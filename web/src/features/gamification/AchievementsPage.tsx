import { useQuery } from "@tanstack/react-query";
import { HelpCircle, Lock, Trophy } from "lucide-react";
import { api, unwrap, type Achievement } from "../../api/client";
import { qk, useMe } from "../../api/queries";
import { Spinner } from "../../components/ui";
import { useHeaderTitle } from "../workspaces/AppLayout";

export function useAchievements(userId: string | undefined) {
  return useQuery({
    queryKey: qk.achievements(userId ?? ""),
    queryFn: () => unwrap(api.GET("/api/v1/users/{user_id}/achievements", { params: { path: { user_id: userId! } } })),
    enabled: !!userId,
  });
}

export function AchievementCard({ a }: { a: Achievement }) {
  const mystery = a.hidden && !a.unlocked;
  const pct = a.target > 0 ? Math.min(100, (a.current / a.target) * 100) : 0;
  return (
    <div className={`panel achievement ${a.unlocked ? "unlocked" : "locked"} ${mystery ? "mystery" : ""}`} data-testid="achievement">
      <span className={`medal tier-${a.unlocked ? (a.tier ?? "none") : "locked"}`}>{mystery ? <HelpCircle size={18} /> : a.unlocked ? <Trophy size={18} /> : <Lock size={16} />}</span>
      <div style={{ flex: 1, minWidth: 0 }}>
        <div className="row" style={{ gap: 6 }}>
          <h3>{mystery ? "Hidden achievement" : a.name}</h3>
          {a.tier && !mystery && <span className="chip" style={{ textTransform: "capitalize", height: 19, fontSize: 11 }}>{a.tier}</span>}
        </div>
        <p className="small muted" style={{ marginTop: 2 }}>
          {mystery ? "Keep working — this one reveals itself when you unlock it." : a.description}
        </p>
        {a.unlocked ? (
          <p className="tiny" style={{ marginTop: 6, color: "var(--ok)", fontWeight: 600 }}>
            Unlocked {a.unlocked_at ? new Date(a.unlocked_at).toLocaleDateString() : ""}
          </p>
        ) : (
          !mystery &&
          a.target > 0 && (
            <div className="row small muted" style={{ marginTop: 8 }}>
              <div className="progress-thin" style={{ flex: 1 }} role="progressbar" aria-valuenow={a.current} aria-valuemin={0} aria-valuemax={a.target} aria-label={`${a.name} progress`}>
                <div style={{ width: `${pct}%`, background: "var(--brand)" }} />
              </div>
              <span style={{ fontVariantNumeric: "tabular-nums" }}>
                {Math.min(a.current, a.target)}/{a.target}
              </span>
            </div>
          )
        )}
      </div>
    </div>
  );
}

export function AchievementsPage() {
  const me = useMe();
  const achievements = useAchievements(me.data?.id);
  useHeaderTitle("Achievements");
  const list = achievements.data ?? [];
  const unlocked = list.filter((a) => a.unlocked);
  const sorted = [...list].sort((a, b) => Number(b.unlocked) - Number(a.unlocked) || Number(a.hidden) - Number(b.hidden) || b.current / (b.target || 1) - a.current / (a.target || 1));
  return (
    <div className="page">
      <div className="page-head">
        <div>
          <h1>Achievements</h1>
          <p>
            {unlocked.length} of {list.length} unlocked. Hidden ones show up as mysteries until you earn them.
          </p>
        </div>
      </div>
      {achievements.isPending ? (
        <Spinner />
      ) : (
        <div className="grid-cards" style={{ gridTemplateColumns: "repeat(auto-fill, minmax(300px, 1fr))" }}>
          {sorted.map((a) => (
            <AchievementCard key={a.key} a={a} />
          ))}
        </div>
      )}
    </div>
  );
}
