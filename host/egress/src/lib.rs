//! Where a Plugboard host may connect.
//!
//! An integration's hostname is whatever its author wrote, and a name can resolve to anything,
//! now or after the next DNS answer. So the host checks the addresses it actually connects to:
//! [`EgressClient`] resolves names through the policy (a name whose addresses are all refused,
//! rebinding included, is refused; the others are dropped) and checks URLs whose host is an IP
//! literal, which never reach a resolver, before each request. Proxies from the environment are
//! off: they would connect on the host's behalf without a check.
//!
//! By default nothing internal is reachable: loopback, unspecified, link-local, private, shared
//! (CGNAT), multicast, broadcast, documentation, benchmarking and reserved ranges, and the
//! IPv4-mapped, IPv4-compatible and NAT64 forms of those. An operator re-enables what they need:
//! chosen networks ([`EgressPolicy::allow_network`]) or every private network
//! ([`EgressPolicy::allow_private_networks`]).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

pub use ipnet::IpNet;

mod direct;
pub use direct::{DirectError, DirectResponse};

/// A kind of address that is not on the public internet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AddressClass {
    /// 127.0.0.0/8, ::1.
    Loopback,
    /// 0.0.0.0/8, ::.
    Unspecified,
    /// 169.254.0.0/16 (cloud metadata lives here), fe80::/10.
    LinkLocal,
    /// 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, fc00::/7.
    Private,
    /// 100.64.0.0/10 (carrier-grade NAT).
    Shared,
    /// 224.0.0.0/4, ff00::/8.
    Multicast,
    /// 255.255.255.255.
    Broadcast,
    /// 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32.
    Documentation,
    /// 198.18.0.0/15.
    Benchmarking,
    /// 192.0.0.0/24, 240.0.0.0/4 and other special-purpose ranges.
    Reserved,
}

impl AddressClass {
    /// The class in words, for messages.
    pub fn describe(self) -> &'static str {
        match self {
            AddressClass::Loopback => "loopback",
            AddressClass::Unspecified => "unspecified",
            AddressClass::LinkLocal => "link-local",
            AddressClass::Private => "private",
            AddressClass::Shared => "shared (carrier-grade NAT)",
            AddressClass::Multicast => "multicast",
            AddressClass::Broadcast => "broadcast",
            AddressClass::Documentation => "documentation",
            AddressClass::Benchmarking => "benchmarking",
            AddressClass::Reserved => "reserved",
        }
    }

    /// The class with its article: `a loopback`, `an unspecified`.
    pub fn with_article(self) -> String {
        let article = if self == AddressClass::Unspecified {
            "an"
        } else {
            "a"
        };
        format!("{article} {}", self.describe())
    }

    /// Whether [`EgressPolicy::allow_private_networks`] lets it through: networks an operator
    /// may run APIs on (not multicast, broadcast, unspecified or reserved ones).
    fn is_private_network(self) -> bool {
        match self {
            AddressClass::Loopback
            | AddressClass::LinkLocal
            | AddressClass::Private
            | AddressClass::Shared => true,
            AddressClass::Unspecified
            | AddressClass::Multicast
            | AddressClass::Broadcast
            | AddressClass::Documentation
            | AddressClass::Benchmarking
            | AddressClass::Reserved => false,
        }
    }
}

impl std::fmt::Display for AddressClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.describe())
    }
}

/// The class of an address that is not public, or `None` for a public one.
pub fn classify(ip: IpAddr) -> Option<AddressClass> {
    match ip {
        IpAddr::V4(ip) => classify_v4(ip),
        IpAddr::V6(ip) => classify_v6(ip),
    }
}

fn classify_v4(ip: Ipv4Addr) -> Option<AddressClass> {
    let [a, b, c, _] = ip.octets();
    Some(match (a, b, c) {
        (127, ..) => AddressClass::Loopback,
        (0, ..) => AddressClass::Unspecified,
        (169, 254, _) => AddressClass::LinkLocal,
        (10, ..) | (192, 168, _) => AddressClass::Private,
        (172, 16..=31, _) => AddressClass::Private,
        (100, 64..=127, _) => AddressClass::Shared,
        (224..=239, ..) => AddressClass::Multicast,
        (255, 255, 255) if ip.is_broadcast() => AddressClass::Broadcast,
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => AddressClass::Documentation,
        (198, 18..=19, _) => AddressClass::Benchmarking,
        (192, 0, 0) | (240..=255, ..) => AddressClass::Reserved,
        _ => return None,
    })
}

fn classify_v6(ip: Ipv6Addr) -> Option<AddressClass> {
    if ip.is_loopback() {
        return Some(AddressClass::Loopback);
    }
    if ip.is_unspecified() {
        return Some(AddressClass::Unspecified);
    }
    // IPv4 inside IPv6: mapped (::ffff:a.b.c.d), compatible (::a.b.c.d), NAT64 (64:ff9b::/96).
    let segments = ip.segments();
    let embedded = match segments {
        [0, 0, 0, 0, 0, 0xffff, ..] | [0, 0, 0, 0, 0, 0, ..] | [0x64, 0xff9b, 0, 0, 0, 0, ..] => {
            Some(Ipv4Addr::new(
                (segments[6] >> 8) as u8,
                segments[6] as u8,
                (segments[7] >> 8) as u8,
                segments[7] as u8,
            ))
        }
        _ => None,
    };
    if let Some(v4) = embedded {
        return classify_v4(v4);
    }
    let first = segments[0];
    Some(match first {
        _ if first & 0xffc0 == 0xfe80 => AddressClass::LinkLocal,
        _ if first & 0xfe00 == 0xfc00 => AddressClass::Private,
        _ if first & 0xff00 == 0xff00 => AddressClass::Multicast,
        0x2001 if segments[1] == 0x0db8 => AddressClass::Documentation,
        // 6to4 (2002::/16) carries an IPv4 address in its next 32 bits.
        0x2002 => {
            let v4 = Ipv4Addr::new(
                (segments[1] >> 8) as u8,
                segments[1] as u8,
                (segments[2] >> 8) as u8,
                segments[2] as u8,
            );
            return classify_v4(v4);
        }
        _ => return None,
    })
}

/// A connection the policy refuses: where to, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denied {
    /// The host as the request named it.
    pub host: String,
    /// The address refused.
    pub address: IpAddr,
    /// Why it is refused.
    pub class: AddressClass,
}

impl std::fmt::Display for Denied {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let literal = self.host.trim_start_matches('[').trim_end_matches(']');
        if literal == self.address.to_string() {
            write!(
                f,
                "{} is {} address",
                self.address,
                self.class.with_article()
            )?;
        } else {
            write!(
                f,
                "`{}` resolves to {}, {} address",
                self.host,
                self.address,
                self.class.with_article()
            )?;
        }
        write!(
            f,
            "; this host connects to no {} addresses unless its operator allows that network",
            self.class
        )
    }
}

impl std::error::Error for Denied {}

/// The [`Denied`] somewhere in an error's chain of sources (a refused resolution comes back
/// from the HTTP client wrapped in its own errors).
pub fn denied_in<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a Denied> {
    let mut current = Some(error);
    while let Some(error) = current {
        if let Some(denied) = error.downcast_ref::<Denied>() {
            return Some(denied);
        }
        current = error.source();
    }
    None
}

/// Which addresses a host may connect to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EgressPolicy {
    allowed: Vec<IpNet>,
    allow_private: bool,
}

impl EgressPolicy {
    /// Public addresses only (the default).
    pub fn public_only() -> EgressPolicy {
        EgressPolicy::default()
    }

    /// Public addresses and loopback (what a command-line tool on a workstation needs).
    pub fn with_loopback() -> EgressPolicy {
        const LOOPBACK_V4: ipnet::Ipv4Net =
            ipnet::Ipv4Net::new_assert(Ipv4Addr::new(127, 0, 0, 0), 8);
        const LOOPBACK_V6: ipnet::Ipv6Net = ipnet::Ipv6Net::new_assert(Ipv6Addr::LOCALHOST, 128);
        EgressPolicy::default()
            .allow_network(IpNet::V4(LOOPBACK_V4))
            .allow_network(IpNet::V6(LOOPBACK_V6))
    }

    /// Also allows `network` (an operator's on-premises API, say).
    pub fn allow_network(mut self, network: IpNet) -> EgressPolicy {
        if !self.allowed.contains(&network) {
            self.allowed.push(network);
        }
        self
    }

    /// Also allows every private network: loopback, link-local, private and shared ranges.
    pub fn allow_private_networks(mut self) -> EgressPolicy {
        self.allow_private = true;
        self
    }

    /// The networks allowed beyond public addresses.
    pub fn allowed_networks(&self) -> &[IpNet] {
        &self.allowed
    }

    /// Whether a connection to `ip` (for `host`) is allowed.
    pub fn check(&self, host: &str, ip: IpAddr) -> Result<(), Denied> {
        let Some(class) = classify(ip) else {
            return Ok(());
        };
        let unmapped = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            IpAddr::V4(_) => ip,
        };
        if (self.allow_private && class.is_private_network())
            || self
                .allowed
                .iter()
                .any(|net| net.contains(&ip) || net.contains(&unmapped))
        {
            return Ok(());
        }
        Err(Denied {
            host: host.to_string(),
            address: ip,
            class,
        })
    }

    /// The addresses `host` resolved to that the policy allows; refused when it allows none
    /// (a name with no address at all gives an empty list).
    pub fn allowed(
        &self,
        host: &str,
        found: impl IntoIterator<Item = SocketAddr>,
    ) -> Result<Vec<SocketAddr>, Denied> {
        let mut refused = None;
        let allowed: Vec<SocketAddr> = found
            .into_iter()
            .filter(|address| match self.check(host, address.ip()) {
                Ok(()) => true,
                Err(denied) => {
                    refused.get_or_insert(denied);
                    false
                }
            })
            .collect();
        match refused {
            Some(denied) if allowed.is_empty() => Err(denied),
            _ => Ok(allowed),
        }
    }

    /// Checks a URL whose host is an IP literal (a name is checked when it is resolved).
    pub fn check_url(&self, url: &url::Url) -> Result<(), Denied> {
        let ip = match url.host() {
            Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip),
            Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip),
            Some(url::Host::Domain(_)) | None => return Ok(()),
        };
        self.check(url.host_str().unwrap_or_default(), ip)
    }

    /// Whether `host` (a name or an IP literal, as a URL has it) is known, without resolving,
    /// to be loopback or inside an allowed network: where credentials may travel over plain
    /// http.
    pub fn is_local_or_allowed_literal(&self, host: &str) -> bool {
        if host.eq_ignore_ascii_case("localhost") {
            return true;
        }
        let literal = host.trim_start_matches('[').trim_end_matches(']');
        match literal.parse::<IpAddr>() {
            Ok(ip) => {
                classify(ip) == Some(AddressClass::Loopback)
                    || self.allowed.iter().any(|net| net.contains(&ip))
            }
            Err(_) => false,
        }
    }
}

/// An HTTP client whose every connection the policy checks: names when they resolve, URLs with
/// IP literals before a request is made. Proxies from the environment are off. Cheap to clone.
#[derive(Debug, Clone)]
pub struct EgressClient {
    client: reqwest::Client,
    policy: Arc<EgressPolicy>,
    /// Idle connections of [`EgressClient::send_direct`].
    direct: Arc<direct::Pool>,
}

impl EgressClient {
    /// A client for `policy`; `configure` sets everything else (redirects, user agent, ...).
    pub fn new(
        policy: EgressPolicy,
        configure: impl FnOnce(reqwest::ClientBuilder) -> reqwest::ClientBuilder,
    ) -> reqwest::Result<EgressClient> {
        let builder =
            reqwest::Client::builder()
                .no_proxy()
                .dns_resolver(Arc::new(CheckedResolver {
                    policy: policy.clone(),
                }));
        Ok(EgressClient {
            client: configure(builder).build()?,
            policy: Arc::new(policy),
            direct: Arc::default(),
        })
    }

    /// A request to `url`, unless the policy refuses its (literal) address.
    pub fn request(
        &self,
        method: reqwest::Method,
        url: url::Url,
    ) -> Result<reqwest::RequestBuilder, Denied> {
        self.policy.check_url(&url)?;
        Ok(self.client.request(method, url))
    }

    /// Sends a plain-http request on a pooled HTTP/1.1 connection that the calling task drives
    /// itself (see the `direct` module: no hand-over to a connection task), and reads the whole
    /// response, refusing more than `limit` bytes. `headers` go as they are, plus `Host`:
    /// reqwest's defaults (user agent, `accept`) are the caller's to add.
    pub async fn send_direct(
        &self,
        method: reqwest::Method,
        url: &url::Url,
        headers: reqwest::header::HeaderMap,
        body: Option<bytes::Bytes>,
        limit: usize,
    ) -> Result<DirectResponse, DirectError> {
        self.policy.check_url(url)?;
        let request = direct::request(method, url, headers, body)?;
        direct::send(&self.direct, &self.policy, url, request, limit).await
    }

    /// The policy.
    pub fn policy(&self) -> &EgressPolicy {
        &self.policy
    }
}

/// Resolves names with the system resolver and keeps only the addresses the policy allows.
struct CheckedResolver {
    policy: EgressPolicy,
}

impl reqwest::dns::Resolve for CheckedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.policy.clone();
        let host = name.as_str().to_string();
        Box::pin(async move {
            let found = tokio::net::lookup_host((host.as_str(), 0)).await?;
            match policy.allowed(&host, found) {
                Ok(allowed) => Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs),
                Err(denied) => Err(Box::new(denied) as Box<dyn std::error::Error + Send + Sync>),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(text: &str) -> Option<AddressClass> {
        classify(text.parse().unwrap())
    }

    #[test]
    fn internal_ranges_and_their_ipv6_forms() {
        use AddressClass::*;
        for (address, expected) in [
            ("127.0.0.1", Some(Loopback)),
            ("127.255.0.9", Some(Loopback)),
            ("0.0.0.0", Some(Unspecified)),
            ("169.254.169.254", Some(LinkLocal)),
            ("10.0.0.1", Some(Private)),
            ("172.31.255.1", Some(Private)),
            ("172.32.0.1", None),
            ("192.168.1.1", Some(Private)),
            ("100.64.0.1", Some(Shared)),
            ("100.128.0.1", None),
            ("224.0.0.1", Some(Multicast)),
            ("255.255.255.255", Some(Broadcast)),
            ("192.0.2.7", Some(Documentation)),
            ("198.18.0.1", Some(Benchmarking)),
            ("240.0.0.1", Some(Reserved)),
            ("8.8.8.8", None),
            ("::1", Some(Loopback)),
            ("::", Some(Unspecified)),
            ("fe80::1", Some(LinkLocal)),
            ("fd00::1", Some(Private)),
            ("ff02::1", Some(Multicast)),
            ("2001:db8::1", Some(Documentation)),
            ("::ffff:127.0.0.1", Some(Loopback)),
            ("::ffff:169.254.169.254", Some(LinkLocal)),
            ("::10.0.0.1", Some(Private)),
            ("64:ff9b::10.0.0.1", Some(Private)),
            ("2002:0a00:0001::", Some(Private)),
            ("2606:4700::1111", None),
            ("::ffff:8.8.8.8", None),
        ] {
            assert_eq!(class(address), expected, "{address}");
        }
    }

    #[test]
    fn operators_choose_what_else_is_reachable() {
        let localhost: IpAddr = "127.0.0.1".parse().unwrap();
        let private: IpAddr = "10.1.2.3".parse().unwrap();
        let metadata: IpAddr = "169.254.169.254".parse().unwrap();
        let strict = EgressPolicy::public_only();
        let denied = strict.check("localhost", localhost).unwrap_err();
        assert_eq!(denied.class, AddressClass::Loopback);
        assert!(denied.to_string().contains("loopback"), "{denied}");
        assert!(
            strict
                .check("dns.google", "8.8.8.8".parse().unwrap())
                .is_ok()
        );
        let cli = EgressPolicy::with_loopback();
        assert!(cli.check("h", localhost).is_ok());
        assert!(cli.check("h", "::ffff:127.0.0.1".parse().unwrap()).is_ok());
        assert!(cli.check("h", private).is_err());
        let on_premises = EgressPolicy::public_only().allow_network("10.1.0.0/16".parse().unwrap());
        assert!(on_premises.check("h", private).is_ok());
        assert!(on_premises.check("h", "10.2.0.1".parse().unwrap()).is_err());
        let all_private = EgressPolicy::public_only().allow_private_networks();
        assert!(all_private.check("h", metadata).is_ok());
        assert!(
            all_private
                .check("h", "224.0.0.1".parse().unwrap())
                .is_err()
        );
        let url = url::Url::parse("http://0.0.0.0:8080/x").unwrap();
        assert_eq!(
            strict.check_url(&url).unwrap_err().class,
            AddressClass::Unspecified
        );
        assert!(
            strict
                .check_url(&url::Url::parse("https://example.com/").unwrap())
                .is_ok()
        );
        assert!(strict.is_local_or_allowed_literal("localhost"));
        assert!(strict.is_local_or_allowed_literal("[::1]"));
        assert!(!strict.is_local_or_allowed_literal("10.1.2.3"));
        assert!(on_premises.is_local_or_allowed_literal("10.1.2.3"));
    }

    #[tokio::test]
    async fn names_are_checked_when_they_resolve() {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let client = EgressClient::new(EgressPolicy::public_only(), |b| b).unwrap();
        let url = url::Url::parse(&format!("http://localhost:{port}/")).unwrap();
        let error = client
            .request(reqwest::Method::GET, url)
            .unwrap()
            .send()
            .await
            .unwrap_err();
        let denied = denied_in(&error).expect("a denied resolution");
        assert_eq!(denied.class, AddressClass::Loopback);
        assert_eq!(denied.host, "localhost");
        let literal = url::Url::parse(&format!("http://127.0.0.1:{port}/")).unwrap();
        let denied = client.request(reqwest::Method::GET, literal).unwrap_err();
        assert_eq!(denied.class, AddressClass::Loopback);
    }
}
