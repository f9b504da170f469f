"""URLs of the OpenID provider (included at the root: discovery must be at
``<issuer>/.well-known/openid-configuration``), its pages and the demo relying party."""

from django.urls import path

from nentang.identity.oidc.views import demo, developers, endpoints
from nentang.identity.oidc.views.authorize import AuthorizeView

app_name = "identity_oidc"

urlpatterns = [
    path(".well-known/openid-configuration", endpoints.discovery, name="discovery"),
    path("oidc/jwks", endpoints.jwks, name="jwks"),
    path("oidc/authorize", AuthorizeView.as_view(), name="authorize"),
    path("oidc/token", endpoints.TokenView.as_view(), name="token"),
    path("oidc/revoke", endpoints.RevokeView.as_view(), name="revoke"),
    path("oidc/introspect", endpoints.IntrospectView.as_view(), name="introspect"),
    path("oidc/userinfo", endpoints.UserInfoView.as_view(), name="userinfo"),
    path("oidc/logout", endpoints.LogoutView.as_view(), name="logout"),
    path("demo/", demo.demo_start, name="demo"),
    path("demo/callback", demo.demo_callback, name="demo_callback"),
    path("developers/", developers.developers, name="developers"),
    path("developers/clients/new", developers.client_new, name="developer_client_new"),
    path(
        "developers/clients/<str:client_id>/",
        developers.client_detail,
        name="developer_client",
    ),
    path(
        "developers/clients/<str:client_id>/rotate-secret",
        developers.client_rotate_secret,
        name="developer_client_rotate",
    ),
]
