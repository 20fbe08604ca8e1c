-- wrk script of bench/api_load.py: MagicTask's mixed workload, or one endpoint of it.
--
--   wrk -t2 -c16 -d30s -s bench/api_mix.lua http://127.0.0.1:8000 -- IDS_FILE MIX [SEED]
--
-- MIX is "kind:weight,..." with the kinds below, e.g.
--   list:45,get:20,comments:10,comment:10,create:5,leaderboard:5,progress:5   (the issue's mix)
--   get:1                                                                     (task GET alone)
-- IDS_FILE is written by the bench after seeding, one record a line:
--   workspace <id> | project <id> | user <id> <token> <mention> | task <id>
-- Every request carries a random seeded user's bearer token and random ids from that file.
-- done() prints one line "API_MIX {json}" (counts, non-2xx, latency percentiles in microseconds) and
-- at most one "API_MIX_SAMPLE <status> <body>" line showing a non-2xx response; the bench parses them.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_no", #threads)
end

local users, tasks = {}, {}
local workspace, project
local kinds, weights, total_weight = {}, {}, 0
local prefix = "/api/v1"

-- Counters read back by done() through thread:get (wrk copies them between Lua states).
sent = {}
codes = {}
non2xx = 0
sample = nil

local TITLES = {
  "Fix flaky login test", "Draft release notes", "Review billing page copy", "Measure search latency",
  "Refactor export job", "Design onboarding checklist", "Document API limits", "Ship mobile layout",
  "Plan Q3 roadmap review", "Audit log retention", "Update price table", "Triage status emails",
}
local LABELS = { "bug", "frontend", "backend", "design", "docs", "infra", "customer" }
local PRIORITIES = { "none", "low", "medium", "medium", "high", "urgent" }
local COMMENTS = {
  "Looks good to me, merging after CI.",
  "Can we split this into two smaller tasks? The second half depends on the API change.",
  "Done on my side. I left two notes in the description about the edge cases.",
  "I'll take this one tomorrow morning.",
  "Needs a test for the empty state before we ship it.",
  "Blocked on the schema migration; should be unblocked by Thursday.",
  "Nice work! The new layout is much easier to scan.",
  "Pushed a fix for the rounding issue, please have another look.",
}

local function split(s)
  local out = {}
  for word in s:gmatch("%S+") do
    out[#out + 1] = word
  end
  return out
end

function init(args)
  local path, mix, seed = args[1], args[2], tonumber(args[3] or "1")
  math.randomseed(seed * 7919 + thread_no * 104729)
  for line in io.lines(path) do
    local f = split(line)
    if f[1] == "workspace" then
      workspace = f[2]
    elseif f[1] == "project" then
      project = f[2]
    elseif f[1] == "user" then
      users[#users + 1] = { id = f[2], auth = "Bearer " .. f[3], mention = f[4] }
    elseif f[1] == "task" then
      tasks[#tasks + 1] = f[2]
    end
  end
  assert(workspace and project and #users > 0 and #tasks > 0, "incomplete ids file " .. path)
  for kind, weight in mix:gmatch("(%w+):(%d+)") do
    kinds[#kinds + 1] = kind
    total_weight = total_weight + tonumber(weight)
    weights[#weights + 1] = total_weight
    sent[kind] = 0
  end
  assert(#kinds > 0, "empty mix " .. mix)
end

local function pick(list)
  return list[math.random(#list)]
end

local function headers(user, json)
  local h = { ["Authorization"] = user.auth }
  if json then
    h["Content-Type"] = "application/json"
  end
  return h
end

local function comment_body()
  local text = pick(COMMENTS)
  if math.random() < 0.3 then
    text = "@" .. pick(users).mention .. " " .. text
  end
  return '{"body":"' .. text .. '"}'
end

local function task_body()
  local body = string.format(
    '{"title":"%s","description":"%s","priority":"%s","labels":["%s"],"assignee_ids":["%s"]',
    pick(TITLES),
    "Steps:\\n\\n1. Reproduce on staging\\n2. Write the failing test\\n3. Fix and link the PR",
    pick(PRIORITIES),
    pick(LABELS),
    pick(users).id
  )
  if math.random() < 0.5 then
    body = body .. string.format(',"due_date":"2027-0%d-%02d","estimate":%d', math.random(1, 9),
      math.random(1, 28), math.random(1, 8))
  end
  return body .. "}"
end

local builders = {
  list = function(u)
    return wrk.format("GET", prefix .. "/projects/" .. project .. "/tasks?limit=50", headers(u))
  end,
  get = function(u)
    return wrk.format("GET", prefix .. "/tasks/" .. pick(tasks), headers(u))
  end,
  comments = function(u)
    return wrk.format("GET", prefix .. "/tasks/" .. pick(tasks) .. "/comments", headers(u))
  end,
  comment = function(u)
    return wrk.format("POST", prefix .. "/tasks/" .. pick(tasks) .. "/comments", headers(u, true), comment_body())
  end,
  create = function(u)
    return wrk.format("POST", prefix .. "/projects/" .. project .. "/tasks", headers(u, true), task_body())
  end,
  leaderboard = function(u)
    return wrk.format("GET", prefix .. "/workspaces/" .. workspace .. "/leaderboard", headers(u))
  end,
  progress = function(u)
    return wrk.format("GET", prefix .. "/me/progress", headers(u))
  end,
}

function request()
  local r = math.random() * total_weight
  local kind = kinds[#kinds]
  for i = 1, #weights do
    if r < weights[i] then
      kind = kinds[i]
      break
    end
  end
  sent[kind] = sent[kind] + 1
  return builders[kind](pick(users))
end

function response(status, _headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    codes[tostring(status)] = (codes[tostring(status)] or 0) + 1
    if sample == nil then
      sample = status .. " " .. (body or ""):sub(1, 300):gsub("%s+", " ")
    end
  end
end

local function json_counts(t)
  local parts = {}
  for k, v in pairs(t) do
    parts[#parts + 1] = string.format('"%s":%d', k, v)
  end
  return "{" .. table.concat(parts, ",") .. "}"
end

function done(summary, latency, _requests)
  local all_sent, all_codes, bad, first = {}, {}, 0, nil
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("sent")) do
      all_sent[k] = (all_sent[k] or 0) + v
    end
    for k, v in pairs(t:get("codes")) do
      all_codes[k] = (all_codes[k] or 0) + v
    end
    bad = bad + t:get("non2xx")
    first = first or t:get("sample")
  end
  local e = summary.errors
  io.write(string.format(
    'API_MIX {"requests":%d,"duration_us":%d,"bytes":%d,"non2xx":%d,"codes":%s,"sent":%s,'
      .. '"errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d},'
      .. '"latency_us":{"mean":%.1f,"p50":%d,"p90":%d,"p95":%d,"p99":%d,"p999":%d,"max":%d}}\n',
    summary.requests, summary.duration, summary.bytes, bad, json_counts(all_codes), json_counts(all_sent),
    e.connect, e.read, e.write, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency:percentile(99.9), latency.max
  ))
  if first then
    io.write("API_MIX_SAMPLE " .. first .. "\n")
  end
end
