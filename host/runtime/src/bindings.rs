//! Host bindings generated from `wit/plugboard.wit`.

wasmtime::component::bindgen!({
    world: "integration",
    path: "../../wit",
    imports: { default: async | trappable },
    exports: { default: async },
});

pub use plugboard::integration::types::{
    ApiKeyLocation, AuthRequirement, Error as GuestError, Oauth2Auth, Oauth2Grant, PaginationStyle,
    TokenRefresh,
};
