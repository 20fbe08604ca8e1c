import { useQuery } from "@tanstack/react-query";
import { Crown, EyeOff, Trophy } from "lucide-react";
import { Link, useParams, useSearchParams } from "react-router";
import { api, ApiError, unwrap, type Schemas } from "../../api/client";
import { qk } from "../../api/queries";
import { Avatar, Empty, Spinner } from "../../components/ui";
import { useHeaderTitle } from "../workspaces/AppLayout";
import { plural } from "../../lib/plural";

type Entry = Schemas["LeaderboardEntry"];
type Window = "week" | "month" | "all";
const WINDOWS: [Window, string][] = [
  ["week", "This week"],
  ["month", "This month"],
  ["all", "All time"],
];

function Row({ e }: { e: Entry }) {
  return (
    <div className={`lb-row ${e.is_me ? "me" : ""} podium-${e.rank}`} data-testid="leaderboard-row">
      <span className="lb-rank">{e.rank <= 3 ? <Crown size={16} color={["#f59e0b", "#94a3b8", "#b45309"][e.rank - 1]} aria-label={`Rank ${e.rank}`} /> : e.rank}</span>
      <Avatar id={e.user_id} name={e.name} />
      <span style={{ flex: 1, minWidth: 0 }}>
        <b>{e.name}</b> {e.is_me && <span className="chip">you</span>} {e.opted_out && <span className="chip" title="Only you see yourself here"><EyeOff size={11} /> hidden</span>}
        {e.late_joiner && <span className="small muted" style={{ display: "block" }}>Joined mid-period</span>}
      </span>
      <span className="xp-amount">{e.xp.toLocaleString()} XP</span>
    </div>
  );
}

export function LeaderboardPage() {
  const { ws = "" } = useParams();
  const [params, setParams] = useSearchParams();
  const window = (params.get("window") as Window) || "week";
  const team = params.get("team") || undefined;
  useHeaderTitle("Leaderboard");
  const teams = useQuery({
    queryKey: qk.teams(ws),
    queryFn: async () => (await unwrap(api.GET("/api/v1/workspaces/{workspace_id}/teams", { params: { path: { workspace_id: ws }, query: { limit: 100 } } }))).items,
  });
  const board = useQuery({
    queryKey: ["leaderboard", ws, window, team],
    queryFn: () => unwrap(api.GET("/api/v1/workspaces/{workspace_id}/leaderboard", { params: { path: { workspace_id: ws }, query: { window, team, limit: 50, around: 2 } } })),
    retry: false,
  });
  const set = (k: string, v: string | undefined) => setParams((p) => { if (v) p.set(k, v); else p.delete(k); return p; }, { replace: true });
  const notYet = board.error instanceof ApiError && board.error.status === 404 && board.error.code !== "not_found_workspace";
  const data = board.data;
  const meOnPage = data?.items.some((e) => e.is_me);

  return (
    <div className="page" style={{ maxWidth: 820 }}>
      <div className="page-head">
        <div>
          <h1>Leaderboard</h1>
          <p>XP earned in this workspace. Ties go to whoever got there first.</p>
        </div>
        <span className="spacer" />
        <nav className="tabs" aria-label="Period">
          {WINDOWS.map(([w, label]) => (
            <a key={w} href={`?window=${w}`} className={w === window ? "active" : ""} onClick={(e) => { e.preventDefault(); set("window", w === "week" ? undefined : w); }} aria-current={w === window ? "page" : undefined}>
              {label}
            </a>
          ))}
        </nav>
        {(teams.data?.length ?? 0) > 0 && (
          <select className="select" style={{ width: 160 }} aria-label="Team" value={team ?? ""} onChange={(e) => set("team", e.target.value || undefined)}>
            <option value="">Everyone</option>
            {teams.data!.map((t) => (
              <option key={t.id} value={t.id}>
                {t.name}
              </option>
            ))}
          </select>
        )}
      </div>
      {board.isPending ? (
        <Spinner />
      ) : board.isError ? (
        <div className="panel">
          <Empty icon={<Trophy size={36} />} title={notYet ? "Leaderboards are on their way" : "No leaderboard here"}>
            <p>{notYet ? "This server doesn't serve leaderboards yet." : board.error instanceof ApiError ? board.error.message : "Try again in a moment."}</p>
          </Empty>
        </div>
      ) : data && data.items.length === 0 ? (
        <div className="panel">
          <Empty icon={<Trophy size={36} />} title="Nobody on the board yet">
            <p>Complete a task to take the lead.</p>
          </Empty>
        </div>
      ) : (
        data && (
          <div className="stack-lg">
            <section className="panel" aria-label="Standings">
              {data.items.map((e) => (
                <Row key={e.user_id} e={e} />
              ))}
            </section>
            {!meOnPage && data.around_me.length > 0 && (
              <section className="panel" aria-labelledby="around-h">
                <div className="panel-head">
                  <h2 id="around-h">Around you</h2>
                </div>
                {data.around_me.map((e) => (
                  <Row key={e.user_id} e={e} />
                ))}
              </section>
            )}
            <p className="small muted">
              {plural(data.total, "member")} ranked{data.computed_at ? ` · updated ${new Date(data.computed_at).toLocaleTimeString()}` : ""} · weeks and months follow {data.timezone} time.{" "}
              <Link to={`/w/${ws}/account`}>Hide me from leaderboards</Link>
            </p>
          </div>
        )
      )}
    </div>
  );
}
