import { useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";
import { matchPath, Navigate, Outlet, Route, Routes, useLocation, useNavigate } from "react-router";
import { Toaster } from "sonner";
import { session, setUnauthorizedHandler } from "./api/client";
import { useMe, useWorkspaces } from "./api/queries";
import { Spinner } from "./components/ui";
import { LoginPage, SignupPage } from "./features/auth/AuthPages";
import { AppLayout } from "./features/workspaces/AppLayout";
import { ProjectsPage } from "./features/projects/ProjectsPage";
import { BoardPage } from "./features/board/BoardPage";
import { page } from "./lib/lazyPage";
import { queryClient } from "./lib/queryClient";
import { prefetchProfile, rememberSignedInUser } from "./features/gamification/prefetch";
import { prefetchAnalytics } from "./features/insights/queries";
import { prefetchBoard } from "./features/board/prefetch";
// The pages most loads start on (sign-in, a workspace's projects, a board) are in the first bundle; every
// other page is a chunk of its own, fetched when it is first shown (charts and their libraries with it), or at
// once when the app opens on it (the route pattern, third argument), with the chart pages' reads (fourth).
const AcceptInvitePage = page(() => import("./features/workspaces/AcceptInvite"), "AcceptInvitePage", "/invite/:token");
const CreateWorkspacePage = page(() => import("./features/workspaces/CreateWorkspace"), "CreateWorkspacePage", "/new-workspace");
const ListPage = page(() => import("./features/tasks/ListPage"), "ListPage", "/w/:ws/p/:pid/list");
const MembersPage = page(() => import("./features/workspaces/MembersPage"), "MembersPage", "/w/:ws/members");
const WorkspaceSettingsPage = page(() => import("./features/settings/WorkspaceSettings"), "WorkspaceSettingsPage", "/w/:ws/settings");
const UserSettingsPage = page(() => import("./features/settings/UserSettings"), "UserSettingsPage", "/w/:ws/account");
const AchievementsPage = page(() => import("./features/gamification/AchievementsPage"), "AchievementsPage", "/w/:ws/achievements");
const ProfilePage = page(() => import("./features/gamification/ProfilePage"), "ProfilePage", "/w/:ws/profile", () => session.hinted && void prefetchProfile(queryClient));
const AnalyticsPage = page(() => import("./features/insights/AnalyticsPage"), "AnalyticsPage", "/w/:ws/analytics", (p) => session.hinted && prefetchAnalytics(queryClient, p.ws ?? ""));
const LeaderboardPage = page(() => import("./features/insights/LeaderboardPage"), "LeaderboardPage", "/w/:ws/leaderboard");
const MemberXpPage = page(() => import("./features/corrections/MemberXpPage"), "MemberXpPage", "/w/:ws/members/:uid");
rememberSignedInUser(queryClient);
// Opening on a board (signed in, as far as this browser knows): its reads start now, not after the first render.
const openingBoard = matchPath("/w/:ws/p/:pid/board", location.pathname);
if (openingBoard?.params.pid && session.hinted) prefetchBoard(queryClient, openingBoard.params.pid);
import { RealtimeProvider } from "./realtime/socket";
import { theme } from "./lib/theme";
import { notifications } from "./features/notifications/store";

function RequireAuth() {
  const me = useMe();
  const location = useLocation();
  // With a stored session, render at once: the page's own queries run beside /me instead of after it.
  const optimistic = me.isPending && session.hinted;
  if (me.isPending && !optimistic) return <Spinner />;
  if (me.isError || (!me.data && !optimistic)) {
    const next = location.pathname + location.search;
    return <Navigate to={`/login?next=${encodeURIComponent(next)}`} replace />;
  }
  if (me.data) notifications.forUser(me.data.id);
  return (
    <RealtimeProvider userId={me.data?.id}>
      <Outlet />
    </RealtimeProvider>
  );
}

const LAST_WS = "mt.workspace";
export function rememberWorkspace(id: string) {
  try {
    localStorage.setItem(LAST_WS, id);
  } catch {
    /* ignore */
  }
}

function Home() {
  const ws = useWorkspaces();
  if (ws.isPending) return <Spinner />;
  const list = ws.data ?? [];
  if (list.length === 0) return <Navigate to="/new-workspace" replace />;
  let last: string | null = null;
  try {
    last = localStorage.getItem(LAST_WS);
  } catch {
    /* ignore */
  }
  const target = list.find((w) => w.id === last) ?? list[0];
  return <Navigate to={`/w/${target.id}`} replace />;
}

export function App() {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const t = theme.use();
  useEffect(() => {
    setUnauthorizedHandler(() => {
      if (!location.pathname.startsWith("/login") && !location.pathname.startsWith("/signup") && !location.pathname.startsWith("/invite")) {
        session.clear();
        qc.clear();
        navigate(`/login?next=${encodeURIComponent(location.pathname + location.search)}`);
      }
    });
  }, [qc, navigate]);
  return (
    <>
      <Routes>
        <Route path="/login" element={<LoginPage />} />
        <Route path="/signup" element={<SignupPage />} />
        <Route path="/invite/:token" element={<AcceptInvitePage />} />
        <Route element={<RequireAuth />}>
          <Route index element={<Home />} />
          <Route path="/new-workspace" element={<CreateWorkspacePage />} />
          <Route path="/w/:ws" element={<AppLayout />}>
            <Route index element={<ProjectsPage />} />
            <Route path="p/:pid" element={<Navigate to="board" replace />} />
            <Route path="p/:pid/board" element={<BoardPage />} />
            <Route path="p/:pid/list" element={<ListPage />} />
            <Route path="members" element={<MembersPage />} />
            <Route path="members/:uid" element={<MemberXpPage />} />
            <Route path="settings" element={<WorkspaceSettingsPage />} />
            <Route path="account" element={<UserSettingsPage />} />
            <Route path="achievements" element={<AchievementsPage />} />
            <Route path="profile" element={<ProfilePage />} />
            <Route path="leaderboard" element={<LeaderboardPage />} />
            <Route path="analytics" element={<AnalyticsPage />} />
          </Route>
        </Route>
        <Route path="*" element={<Navigate to="/" replace />} />
      </Routes>
      <Toaster position="bottom-right" theme={t} richColors closeButton expand visibleToasts={4} offset={16} />
    </>
  );
}
