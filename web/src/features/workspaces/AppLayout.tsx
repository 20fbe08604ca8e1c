import { useQueryClient } from "@tanstack/react-query";
import { DropdownMenu } from "radix-ui";
import { BarChart3, Check, ChevronsUpDown, FolderKanban, LogOut, Medal, Menu, Moon, Plus, Settings, Sun, Trophy, User, Users, X } from "lucide-react";
import { useEffect, useState } from "react";
import { Link, NavLink, Outlet, useLocation, useNavigate, useParams } from "react-router";
import { api, session } from "../../api/client";
import { useMe, useProjects, useWorkspaces } from "../../api/queries";
import { Avatar, BrandMark, colorFor } from "../../components/ui";
import { setTheme, theme } from "../../lib/theme";
import { connection } from "../../realtime/socket";
import { rememberWorkspace } from "../../App";
import { XpBar } from "../gamification/XpBar";
import { RewardsLayer } from "../gamification/RewardsLayer";
import { gamificationOn } from "../gamification/rewards";
import { NotificationsBell } from "../notifications/Bell";
import { ConflictDialog } from "../tasks/ConflictDialog";
import { createStore } from "../../lib/store";
import { KeyboardShortcuts } from "../../components/KeyboardShortcuts";

/** What the header shows after the workspace: set by each page. */
export const headerTitle = createStore<React.ReactNode>(null);
export function useHeaderTitle(title: React.ReactNode) {
  useEffect(() => {
    headerTitle.set(title);
    return () => headerTitle.set(null);
  }, [title]);
}

function WorkspaceSwitcher({ current }: { current: { id: string; name: string } }) {
  const ws = useWorkspaces();
  const navigate = useNavigate();
  return (
    <DropdownMenu.Root>
      <DropdownMenu.Trigger asChild>
        <button className="ws-switch" aria-label={`Workspace: ${current.name}. Switch workspace`}>
          <span className="ws-avatar" style={{ background: colorFor(current.id) }}>
            {current.name.slice(0, 1).toUpperCase()}
          </span>
          <span style={{ flex: 1, minWidth: 0 }}>
            <span className="ws-name" style={{ display: "block" }}>
              {current.name}
            </span>
            <span className="tiny muted">Workspace</span>
          </span>
          <ChevronsUpDown size={16} aria-hidden className="muted" />
        </button>
      </DropdownMenu.Trigger>
      <DropdownMenu.Portal>
        <DropdownMenu.Content className="menu" sideOffset={6} align="start" style={{ width: 232 }}>
          <DropdownMenu.Label className="menu-label">Switch workspace</DropdownMenu.Label>
          {(ws.data ?? []).map((w) => (
            <DropdownMenu.Item key={w.id} className="menu-item" onSelect={() => navigate(`/w/${w.id}`)}>
              <span className="ws-avatar" style={{ background: colorFor(w.id), width: 22, height: 22, fontSize: 11, borderRadius: 6 }}>
                {w.name.slice(0, 1).toUpperCase()}
              </span>
              <span style={{ flex: 1 }}>{w.name}</span>
              {w.id === current.id && <Check size={15} aria-label="current" />}
            </DropdownMenu.Item>
          ))}
          <DropdownMenu.Separator className="menu-sep" />
          <DropdownMenu.Item className="menu-item" onSelect={() => navigate("/new-workspace")}>
            <Plus size={15} /> New workspace
          </DropdownMenu.Item>
        </DropdownMenu.Content>
      </DropdownMenu.Portal>
    </DropdownMenu.Root>
  );
}

function UserMenu() {
  const me = useMe();
  const { ws } = useParams();
  const navigate = useNavigate();
  const qc = useQueryClient();
  if (!me.data) return null;
  const logout = async () => {
    await api.POST("/api/v1/auth/logout").catch(() => undefined);
    session.clear();
    qc.clear();
    navigate("/login");
  };
  return (
    <DropdownMenu.Root>
      <DropdownMenu.Trigger asChild>
        <button className="btn ghost icon" aria-label="Account menu" data-testid="user-menu">
          <Avatar id={me.data.id} name={me.data.name} />
        </button>
      </DropdownMenu.Trigger>
      <DropdownMenu.Portal>
        <DropdownMenu.Content className="menu" sideOffset={6} align="end">
          <DropdownMenu.Label className="menu-label">{me.data.email}</DropdownMenu.Label>
          <DropdownMenu.Item className="menu-item" onSelect={() => navigate(`/w/${ws}/profile`)}>
            <User size={15} /> Profile & XP
          </DropdownMenu.Item>
          <DropdownMenu.Item className="menu-item" onSelect={() => navigate(`/w/${ws}/account`)}>
            <Settings size={15} /> Account settings
          </DropdownMenu.Item>
          <DropdownMenu.Separator className="menu-sep" />
          <DropdownMenu.Item className="menu-item" onSelect={logout}>
            <LogOut size={15} /> Log out
          </DropdownMenu.Item>
        </DropdownMenu.Content>
      </DropdownMenu.Portal>
    </DropdownMenu.Root>
  );
}

function ThemeToggle() {
  const t = theme.use();
  return (
    <button className="btn ghost icon" onClick={() => setTheme(t === "dark" ? "light" : "dark")} aria-label={t === "dark" ? "Switch to light theme" : "Switch to dark theme"} data-testid="theme-toggle">
      {t === "dark" ? <Sun size={17} /> : <Moon size={17} />}
    </button>
  );
}

export function AppLayout() {
  const { ws = "" } = useParams();
  const workspaces = useWorkspaces();
  const projects = useProjects(ws);
  const location = useLocation();
  const [navOpen, setNavOpen] = useState(false);
  const title = headerTitle.use();
  const conn = connection.use();
  const current = workspaces.data?.find((w) => w.id === ws);

  useEffect(() => setNavOpen(false), [location.pathname]);
  useEffect(() => {
    if (current) rememberWorkspace(current.id);
  }, [current]);
  gamificationOn.current = current?.gamification_enabled ?? true;

  if (workspaces.isPending)
    // The page under it starts loading now; the shell fills in when the workspaces arrive.
    return (
      <div className="shell">
        <aside className="sidebar desktop-only" aria-hidden />
        <div className="main">
          <header className="header" />
          <main className="content">
            <Outlet />
          </main>
        </div>
      </div>
    );
  if (!current)
    return (
      <div className="empty" style={{ paddingTop: 120 }}>
        <h2>Workspace not found</h2>
        <p>You may have left it, or the link is wrong.</p>
        <Link to="/" className="btn">
          Go to my workspaces
        </Link>
      </div>
    );
  const isAdmin = current.role === "owner" || current.role === "admin";
  const gamified = current.gamification_enabled;

  return (
    <div className="shell">
      {navOpen && <div className="overlay mobile-only" style={{ zIndex: 45 }} onClick={() => setNavOpen(false)} aria-hidden />}
      <aside className={`sidebar ${navOpen ? "open" : ""}`} aria-label="Sidebar">
        <div className="sidebar-top">
          <div className="row">
            <Link to={`/w/${ws}`} className="brand">
              <BrandMark /> MagicTask
            </Link>
            <span className="spacer" />
            <button className="btn ghost icon sm mobile-only" onClick={() => setNavOpen(false)} aria-label="Close menu">
              <X size={16} />
            </button>
          </div>
          <WorkspaceSwitcher current={current} />
        </div>
        <nav aria-label="Main">
          <NavLink end to={`/w/${ws}`} className="nav-link">
            <FolderKanban size={17} /> Projects
          </NavLink>
          {gamified && (
            <>
              <NavLink to={`/w/${ws}/leaderboard`} className="nav-link">
                <Trophy size={17} /> Leaderboard
              </NavLink>
              <NavLink to={`/w/${ws}/achievements`} className="nav-link">
                <Medal size={17} /> Achievements
              </NavLink>
            </>
          )}
          <NavLink to={`/w/${ws}/members`} className="nav-link">
            <Users size={17} /> Members
          </NavLink>
          {isAdmin && (
            <>
              <NavLink to={`/w/${ws}/analytics`} className="nav-link">
                <BarChart3 size={17} /> Analytics
              </NavLink>
              <NavLink to={`/w/${ws}/settings`} className="nav-link">
                <Settings size={17} /> Settings
              </NavLink>
            </>
          )}
          <div className="nav-section">
            <span className="eyebrow">Projects</span>
            {(projects.data ?? []).map((p) => (
              <NavLink key={p.id} to={`/w/${ws}/p/${p.id}/board`} className={() => `nav-link ${location.pathname.includes(`/p/${p.id}/`) ? "active" : ""}`}>
                <span className="project-dot" style={{ background: colorFor(p.id) }}>
                  {p.key.slice(0, 2)}
                </span>
                <span style={{ overflow: "hidden", textOverflow: "ellipsis", whiteSpace: "nowrap" }}>{p.name}</span>
              </NavLink>
            ))}
            {projects.data?.length === 0 && <p className="small muted" style={{ padding: "2px 10px" }}>No projects yet.</p>}
          </div>
        </nav>
        <div className="sidebar-foot row small muted">
          <span className={`conn-dot ${conn}`} aria-hidden />
          {conn === "online" ? "Live" : conn === "connecting" ? "Connecting…" : "Offline — reconnecting"}
        </div>
      </aside>
      <div className="main">
        <header className="header">
          <button className="btn ghost icon mobile-only" onClick={() => setNavOpen(true)} aria-label="Open menu">
            <Menu size={18} />
          </button>
          <div className="crumbs">
            <span className="hide-sm muted">{current.name}</span>
            {title && <span className="hide-sm muted">/</span>}
            {title}
          </div>
          <span className="spacer" />
          {gamified && <XpBar ws={ws} />}
          <NotificationsBell ws={ws} />
          <ThemeToggle />
          <UserMenu />
        </header>
        {conn === "offline" && (
          <div className="offline-banner" role="status">
            Connection lost — changes from teammates will appear when it's back.
          </div>
        )}
        <main className="content" id="main" tabIndex={0}>
          <Outlet />
        </main>
      </div>
      <RewardsLayer />
      <ConflictDialog />
      <KeyboardShortcuts />
    </div>
  );
}
