"""Electronic identity (định danh điện tử) and the OpenID Connect provider."""
