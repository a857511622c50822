//! The portal's listener, with the gateway's bounds (`gateway::connections`): a cap on open
//! connections, a header and an idle timeout, HTTP/2 limits, and the same stop. HTTP/1.1 and
//! cleartext HTTP/2 are told apart by their first bytes.
use axum::extract::ConnectInfo;
use axum::Router;
use gateway::connections::{self, Activity, Admission, Limits, Stop};
use hyper_util::rt::TokioIo;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tower::Service;

/// Serves `app` on `listener` until `stop`; the returned `Admission` counts the connections
/// still open, for the stop to wait on.
pub fn portal(listener: TcpListener, app: Router, limits: Limits, stop: Stop) -> Admission {
    let admission = Admission::new(limits.max_connections);
    let builder = Arc::new(limits.auto());
    let limits = Arc::new(limits);
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
            let (app, builder, limits, stop) = (app.clone(), builder.clone(), limits.clone(), stop.clone());
            tokio::spawn(async move {
                let _permit = permit;
                let activity = Activity::new();
                let requests = activity.clone();
                let service = hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                    req.extensions_mut().insert(ConnectInfo(peer));
                    let busy = requests.busy();
                    let mut app = app.clone();
                    async move {
                        let response = app.call(req).await;
                        drop(busy);
                        response
                    }
                });
                let connection = builder.serve_connection(TokioIo::new(tcp), service);
                if let Err(e) = connections::drive(connection, &activity, &limits, &stop).await {
                    tracing::debug!(%peer, error = %e, "portal connection ended with an error");
                }
            });
        }
    });
    admission
}
