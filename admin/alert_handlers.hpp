#pragma once

// Routes of /v1/alerts: create a draft with its matches, read, list and
// publish.

#include "admin/app_context.hpp"
#include "server/router.hpp"

namespace canhbao::admin {

void AddAlertRoutes(Router& router, AppContext& app);

}  // namespace canhbao::admin
