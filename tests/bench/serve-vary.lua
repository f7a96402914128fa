-- serve-vary.lua: wrk asking for the same listing under 64 different keys,
-- round robin, so that chat-serve's response cache (32 listings, the
-- least recently used one dropped) never holds the one asked for: every
-- request runs the listing.  The keys differ only in a since= long before
-- every session (2000-01-01, plus 0 to 63 ms), so each lists the same 20
-- sessions as the plain request, with the same index.
local n = 0
request = function()
	n = (n + 1) % 64
	return wrk.format(nil, wrk.path .. string.format("&since=2000-01-01T00:00:00.%03dZ", n))
end
