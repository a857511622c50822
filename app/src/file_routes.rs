//! The console's file routes in one place: multipart uploads and downloads, which server
//! functions cannot carry, served by `server/src/console_forms.rs`. The server registers the
//! `PATTERN`s; the pages build their links and form actions with the functions beside them.

pub const ENDPOINT_CERTIFICATE_UPLOAD: &str = "/projects/{project}/certificates/endpoint";
pub fn endpoint_certificate_upload(project: &str) -> String {
    format!("/projects/{project}/certificates/endpoint")
}

pub const CLIENT_CA_UPLOAD: &str = "/projects/{project}/certificates/client-ca";
pub fn client_ca_upload(project: &str) -> String {
    format!("/projects/{project}/certificates/client-ca")
}

pub const CLIENT_PAIR_UPLOAD: &str = "/projects/{project}/certificates/client";
pub fn client_pair_upload(project: &str) -> String {
    format!("/projects/{project}/certificates/client")
}

pub const CERTIFICATE_DOWNLOAD: &str = "/projects/{project}/certificates/{id}/download";
pub fn certificate_download(project: &str, id: i32) -> String {
    format!("/projects/{project}/certificates/{id}/download")
}

pub const PROXY_ENDPOINT_CERTIFICATE_UPLOAD: &str = "/projects/{project}/proxies/{proxy}/endpoint-certificates";
pub fn proxy_endpoint_certificate_upload(project: &str, proxy: &str) -> String {
    format!("/projects/{project}/proxies/{proxy}/endpoint-certificates")
}

pub const CONTRACT_UPLOAD: &str = "/projects/{project}/proxies/{proxy}/contract";
pub fn contract_upload(project: &str, proxy: &str) -> String {
    format!("/projects/{project}/proxies/{proxy}/contract")
}

pub const GATEWAY_CERTIFICATE_DOWNLOAD: &str = "/environments/{environment}/gateway.pem";
pub fn gateway_certificate_download(environment: &str) -> String {
    format!("/environments/{environment}/gateway.pem")
}

pub const DOMAIN_UPLOAD: &str = "/environments/{environment}/domains";
pub fn domain_upload(environment: &str) -> String {
    format!("/environments/{environment}/domains")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each function fills its pattern's placeholders, so the links match the routes.
    #[test]
    fn links_fill_the_patterns_the_server_registers() {
        let fill = |pattern: &str, values: &[(&str, &str)]| values.iter().fold(pattern.to_string(), |p, (k, v)| p.replace(&format!("{{{k}}}"), v));
        assert_eq!(endpoint_certificate_upload("p"), fill(ENDPOINT_CERTIFICATE_UPLOAD, &[("project", "p")]));
        assert_eq!(client_ca_upload("p"), fill(CLIENT_CA_UPLOAD, &[("project", "p")]));
        assert_eq!(client_pair_upload("p"), fill(CLIENT_PAIR_UPLOAD, &[("project", "p")]));
        assert_eq!(certificate_download("p", 7), fill(CERTIFICATE_DOWNLOAD, &[("project", "p"), ("id", "7")]));
        assert_eq!(proxy_endpoint_certificate_upload("p", "x"), fill(PROXY_ENDPOINT_CERTIFICATE_UPLOAD, &[("project", "p"), ("proxy", "x")]));
        assert_eq!(contract_upload("p", "x"), fill(CONTRACT_UPLOAD, &[("project", "p"), ("proxy", "x")]));
        assert_eq!(gateway_certificate_download("dev"), fill(GATEWAY_CERTIFICATE_DOWNLOAD, &[("environment", "dev")]));
        assert_eq!(domain_upload("dev"), fill(DOMAIN_UPLOAD, &[("environment", "dev")]));
    }
}
