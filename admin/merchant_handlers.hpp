#pragma once

// Routes of merchants, catalogs, notices and API keys.

#include "admin/app_context.hpp"
#include "server/router.hpp"

namespace canhbao::admin {

void AddMerchantRoutes(Router& router, AppContext& app);
void AddKeyRoutes(Router& router, AppContext& app);

}  // namespace canhbao::admin
