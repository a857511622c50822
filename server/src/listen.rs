//! The portal's listener, with the gateway's bounds (`gateway::connections`): a cap on open
//! connections, a header and an idle timeout (the TLS handshake within the header timeout),
//! HTTP/2 limits, and the same stop. Plain HTTP, or HTTPS when the portal has a certificate
//! (`portal_tls`); HTTP/1.1 and HTTP/2 are told apart by their first bytes.
use axum::extract::ConnectInfo;
use axum::Router;
use gateway::connections::{self, Activity, Admission, GoAway, Limits, Stop, Tracked};
use gateway::TrustedProxies;
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tower::Service;

/// Serves `app` on `listener` until `stop`; the returned `Admission` counts the connections
/// still open, for the stop to wait on. Requests from `trusted` proxies are taken to come from
/// the address their `X-Forwarded-For` names (`client_address`).
pub fn portal(listener: TcpListener, app: Router, limits: Limits, stop: Stop, trusted: TrustedProxies, tls: Option<Arc<rustls::ServerConfig>>) -> Admission {
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
    let admission = Admission::new(limits.max_connections);
    let builder = Arc::new(limits.auto());
    let limits = Arc::new(limits);
    let trusted = Arc::new(trusted);
    let counted = admission.clone();
    tokio::spawn(async move {
        loop {
            let accepted = tokio::select! {
                accepted = listener.accept() => accepted,
                () = stop.stopped() => return,
            };
            let (tcp, peer) = match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    tracing::warn!(error = %e, "portal accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let Some(permit) = counted.admit() else {
                tracing::debug!(%peer, "portal connection refused: at GATEHOUSE_MAX_CONNECTIONS");
                continue;
            };
            let (app, builder, limits, stop, trusted) = (app.clone(), builder.clone(), limits.clone(), stop.clone(), trusted.clone());
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let _permit = permit;
                let activity = Activity::new();
                let requests = activity.clone();
                let service = hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                    let client = client_address(peer, req.headers(), &trusted);
                    req.extensions_mut().insert(ConnectInfo(client));
                    let busy = requests.busy();
                    let mut app = app.clone();
                    async move { app.call(req).await.map(|response| response.map(|body| Tracked::new(body, busy))) }
                });
                let served = match acceptor {
                    None => connections::drive(builder.serve_connection(TokioIo::new(tcp), service), &activity, &limits, &stop, GoAway::WhenStopped).await,
                    Some(acceptor) => match tokio::time::timeout(limits.header_timeout, acceptor.accept(tcp)).await {
                        Ok(Ok(stream)) => {
                            connections::drive(builder.serve_connection(TokioIo::new(stream), service), &activity, &limits, &stop, GoAway::WhenStopped).await
                        }
                        Ok(Err(e)) => return tracing::debug!(%peer, error = %e, "portal TLS handshake failed"),
                        Err(_) => return tracing::debug!(%peer, "portal TLS handshake timed out"),
                    },
                };
                if let Err(e) = served {
                    tracing::debug!(%peer, error = %e, "portal connection ended with an error");
                }
            });
        }
    });
    admission
}

/// Who a request comes from, for sign-in limits per address: the connection's peer, or, when
/// the peer is a trusted proxy (the TLS proxy in front of the console, GATEHOUSE_TRUSTED_PROXIES),
/// the nearest address in its `X-Forwarded-For` that is not itself a trusted proxy. Without this,
/// everybody behind the proxy would share one address and one lock-out.
fn client_address(peer: SocketAddr, headers: &hyper::HeaderMap, trusted: &TrustedProxies) -> SocketAddr {
    if !trusted.contains(peer.ip()) {
        return peer;
    }
    let chain = headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).collect::<Vec<_>>();
    chain.iter().rev().filter_map(|hop| hop.trim().parse::<std::net::IpAddr>().ok()).find(|ip| !trusted.contains(*ip)).map_or(peer, |ip| SocketAddr::new(ip, 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_behind_a_trusted_proxy_is_the_nearest_untrusted_hop() {
        let trusted = TrustedProxies::parse("10.0.0.0/8").unwrap();
        let mut headers = hyper::HeaderMap::new();
        headers.append("x-forwarded-for", "203.0.113.9, 198.51.100.4".parse().unwrap());
        headers.append("x-forwarded-for", "10.0.0.3".parse().unwrap());
        let proxy: SocketAddr = "10.0.0.2:5000".parse().unwrap();
        assert_eq!(client_address(proxy, &headers, &trusted).ip().to_string(), "198.51.100.4");
        let direct: SocketAddr = "192.0.2.1:5000".parse().unwrap();
        assert_eq!(client_address(direct, &headers, &trusted), direct, "an untrusted peer's header is ignored");
        assert_eq!(client_address(proxy, &hyper::HeaderMap::new(), &trusted), proxy);
    }
}
