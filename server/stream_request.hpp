#pragma once

// Reads a GET /v1/stream request before the WebSocket upgrade: who is
// connecting (anonymous, a device by token or ticket, a merchant by key or
// ticket), what it subscribes to, and where its replay starts.

#include <boost/asio/awaitable.hpp>

#include "admin/app_context.hpp"
#include "notify/hub.hpp"
#include "server/router.hpp"

namespace canhbao {

// Returns the subscription that the request names. Throws ApiError: 400 for
// an invalid query value (unknown category or ward, since beyond the newest
// seq), 401 for a bad key, token or ticket. A ticket is consumed here.
boost::asio::awaitable<notify::Subscription> ResolveStreamRequest(admin::AppContext& app,
                                                                  const RequestContext& context);

}  // namespace canhbao
