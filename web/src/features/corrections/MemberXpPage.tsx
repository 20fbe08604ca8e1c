import { Link, useParams } from "react-router";
import { useMembers } from "../../api/queries";
import { Avatar, Empty, Spinner } from "../../components/ui";
import { useHeaderTitle } from "../workspaces/AppLayout";
import { useXpHistory } from "./api";
import { XpHistoryList } from "./XpHistory";

/** A teammate's XP history: where their XP came from, with corrections and flags; members can flag an
 * award for review, admins can correct it. */
export function MemberXpPage() {
  const { ws = "", uid = "" } = useParams();
  const members = useMembers(ws);
  const history = useXpHistory(uid);
  const member = members.data?.find((m) => m.user_id === uid);
  useHeaderTitle(member ? `${member.name} · XP` : "XP history");
  if (history.isPending) return <Spinner />;
  if (history.isError) return <Empty title="Not available">{<p>You can see the XP history of people who share a workspace with you.</p>}</Empty>;
  return (
    <div className="page">
      <div className="page-head">
        <div className="row" style={{ gap: 14 }}>
          {member && <Avatar id={member.user_id} name={member.name} size="lg" />}
          <div>
            <h1>{member?.name ?? "Member"}</h1>
            <p>
              Where their XP came from. <Link to={`/w/${ws}/members`}>All members</Link>
            </p>
          </div>
        </div>
      </div>
      <section className="panel" aria-labelledby="member-ledger-h">
        <div className="panel-head">
          <h2 id="member-ledger-h">XP history</h2>
        </div>
        <XpHistoryList items={history.data} limit={200} />
      </section>
    </div>
  );
}
