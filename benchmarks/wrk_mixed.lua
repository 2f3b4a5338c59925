-- The mixed workload: what a förvaltning's users do during a working day, by weight.
local quality = "@COOKIE@"
local handler = "@HANDLER_COOKIE@"
local year = "@YEAR@"
local max_case = @MAX_CASE@
local search = "@SEARCH@"
-- Each entry: weight, request, name. benchmarks/run.py also runs each entry alone
-- (@ONLY@ = its position; 0 = the whole mix) to measure what each page costs.
local only = @ONLY@
local mix = {
  {30, function() return "/arenden/" .. math.random(1, max_case), quality end, "case page"},
  {15, function() return "/arenden/", handler end, "list (handläggare)"},
  {10, function() return "/arenden/mina", handler end, "mina ärenden"},
  {10, function() return "/arenden/?status=open", quality end, "list, open (kvalitet)"},
  {10, function() return "/arenden/?typ=complaint&status=open", quality end, "list, complaints (kvalitet)"},
  {5, function() return "/arenden/?kategori=mat&fran=" .. year .. "-01-01&till=" .. year .. "-12-31", quality end, "list, category (kvalitet)"},
  {10, function() return search, quality end, "search"},
  {5, function() return "/rapport/?enhet=@ENHET@&ar=" .. year .. "&tertial=3", quality end, "report page (enhet)"},
  {5, function() return "/halsa", nil end, "health check"},
}
local total = 0
for _, entry in ipairs(mix) do total = total + entry[1] end

pick = function()
  if only > 0 then return mix[only][2]() end
  local r = math.random(total)
  for _, entry in ipairs(mix) do
    r = r - entry[1]
    if r <= 0 then return entry[2]() end
  end
end
