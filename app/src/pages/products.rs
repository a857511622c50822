//! A project's Products: what subscriptions are to, each with its proxies and plan. The list,
//! a form to create one, and each product's own page to change or delete it.
use crate::api::consumers::{get_product, list_products, proxy_choices, CreateProduct, DeleteProduct, UpdateProduct};
use crate::components::confirm::ConfirmSubmit;
use crate::components::flash::refresh_flash_on;
use crate::components::forms::{EmptyState, FieldError, FormError, LoadError};
use crate::components::pagination::Pagination;
use crate::components::project_tabs::{ProjectTab, ProjectTabs};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use services::model::{Product, ProductProxy, QuotaPeriod};

/// "100 per 60 s · 10000 per month", or "no limits".
pub fn plan_text(product: &Product) -> String {
    let mut parts = Vec::new();
    if let Some(r) = product.rate_limit {
        parts.push(format!("{} per {} s", r.requests, r.per_seconds));
    }
    if let Some(q) = product.quota {
        parts.push(format!("{} per {}", q.requests, q.period.as_str()));
    }
    if parts.is_empty() {
        "no limits".into()
    } else {
        parts.join(" · ")
    }
}

#[component]
pub fn ProductsPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let project = move || params.read().get("project").unwrap_or_default();
    let page = move || query.read().get("page").and_then(|p| p.parse().ok()).unwrap_or(1u64);
    let create = ServerAction::<CreateProduct>::new();
    refresh_flash_on(create.version());
    let products = Resource::new(move || (project(), page(), create.version().get()), |(project, page, _)| list_products(project, page));
    let choices = Resource::new(project, proxy_choices);
    view! {
        <Title text="Products · Gatehouse"/>
        <div class="page-header">
            <p class="breadcrumbs"><a href="/projects">"Projects"</a>" / "<a href=move || format!("/projects/{}", project())>{project}</a></p>
            <h1>"Products"</h1>
            <p class="muted">"A product grants API proxies to its subscribers, with a rate limit and a quota per subscription. Proxies whose access is \"subscription\" let through only callers with a key of a product that includes them."</p>
        </div>
        <ProjectTabs project=project() active=ProjectTab::Products/>
        <Suspense fallback=|| view! { <p>"Loading products…"</p> }>
            {move || Suspend::new(async move {
                match products.await {
                    Ok(list) if list.items.is_empty() => view! {
                        <EmptyState title="No products yet">
                            <p>"Create one below, such as Free, Silver or Gold, then subscribe consumers to it."</p>
                        </EmptyState>
                    }.into_any(),
                    Ok(list) => {
                        let p = project();
                        view! {
                            <table class="table" data-testid="product-list">
                                <thead><tr><th>"Product"</th><th>"API proxies"</th><th>"Plan"</th><th>"Subscriptions"</th></tr></thead>
                                <tbody>
                                    {list.items.iter().map(|product| {
                                        let proxies = product.proxies.iter().map(|x| format!("{} {}", x.name, x.version)).collect::<Vec<_>>().join(", ");
                                        view! {
                                            <tr>
                                                <td><a href=format!("/projects/{p}/products/{}", product.slug)>{product.name.clone()}</a></td>
                                                <td>{if proxies.is_empty() { "none yet".to_string() } else { proxies }}</td>
                                                <td>{plan_text(product)}</td>
                                                <td>{product.subscriptions}</td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                            <Pagination page=list.page page_count=list.page_count() total=list.total href=move |n| format!("/projects/{}/products?page={n}", p)/>
                        }.into_any()
                    }
                    Err(e) => view! { <LoadError error=e/> }.into_any(),
                }
            })}
        </Suspense>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let choices = choices.await.unwrap_or_default();
                view! {
                    <section class="card">
                        <h2>"Create a product"</h2>
                        <ActionForm action=create attr:class="form form-grid" attr:data-testid="create-product">
                            <input type="hidden" name="project" value=project()/>
                            <ProductFields value=create.value() choices product=None/>
                            <div class="actions">
                                <button type="submit" class="button primary" disabled=create.pending()>"Create product"</button>
                            </div>
                        </ActionForm>
                    </section>
                }
            })}
        </Suspense>
    }
}

/// The fields of the product forms (create and change), filled from `product` when given.
#[component]
fn ProductFields<V>(value: V, choices: Vec<ProductProxy>, product: Option<Product>) -> impl IntoView
where
    V: Get<Value = Option<Result<(), crate::AppError>>> + Copy + Send + Sync + 'static,
{
    let granted: Vec<i32> = product.as_ref().map(|p| p.proxies.iter().map(|x| x.id).collect()).unwrap_or_default();
    let rate = product.as_ref().and_then(|p| p.rate_limit);
    let quota = product.as_ref().and_then(|p| p.quota);
    let month = quota.is_some_and(|q| q.period == QuotaPeriod::Month);
    let boxes = if choices.is_empty() {
        view! { <p class="hint">"This project has no API proxies yet: create one first, or add them here later."</p> }.into_any()
    } else {
        choices
            .into_iter()
            .map(|c| {
                let id = format!("product-proxy-{}", c.id);
                view! {
                    <div class="field checkbox">
                        <input type="checkbox" id=id.clone() name="proxies[]" value=c.slug.clone() checked=granted.contains(&c.id)/>
                        <label for=id>{format!("{} {}", c.name, c.version)}</label>
                    </div>
                }
            })
            .collect_view()
            .into_any()
    };
    view! {
        <FormError value fields=&["name", "description", "proxies", "rate_limit", "quota"]/>
        <div class="field">
            <label for="product-name">"Name"</label>
            <input id="product-name" name="name" required maxlength="100" placeholder="Gold" value=product.as_ref().map(|p| p.name.clone())/>
            <FieldError value field="name"/>
        </div>
        <div class="field field-wide">
            <label for="product-description">"Description"</label>
            <textarea id="product-description" name="description" rows="2" maxlength="1000">{product.as_ref().map(|p| p.description.clone())}</textarea>
            <FieldError value field="description"/>
        </div>
        <fieldset class="field field-wide">
            <legend>"API proxies it grants"</legend>
            {boxes}
            <FieldError value field="proxies"/>
        </fieldset>
        <fieldset class="field">
            <legend>"Rate limit (per subscription)"</legend>
            <div class="inline-fields">
                <label for="rate-requests">"Requests per window"</label>
                <input id="rate-requests" name="plan[rate_requests]" type="number" min="1" placeholder="no limit" value=rate.map(|r| r.requests.to_string())/>
                <label for="rate-seconds">"Window (seconds)"</label>
                <input id="rate-seconds" name="plan[rate_seconds]" type="number" min="1" placeholder="60" value=rate.map(|r| r.per_seconds.to_string())/>
            </div>
            <FieldError value field="rate_limit"/>
        </fieldset>
        <fieldset class="field">
            <legend>"Quota (per subscription)"</legend>
            <div class="inline-fields">
                <label for="quota-requests">"Requests per period"</label>
                <input id="quota-requests" name="plan[quota_requests]" type="number" min="1" placeholder="no quota" value=quota.map(|q| q.requests.to_string())/>
                <label for="quota-period">"Period"</label>
                <select id="quota-period" name="plan[quota_period]">
                    <option value="day" selected=!month>"day"</option>
                    <option value="month" selected=month>"month"</option>
                </select>
            </div>
            <FieldError value field="quota"/>
        </fieldset>
    }
}

#[component]
pub fn ProductPage() -> impl IntoView {
    let params = use_params_map();
    let project = move || params.read().get("project").unwrap_or_default();
    let slug = move || params.read().get("product").unwrap_or_default();
    let update = ServerAction::<UpdateProduct>::new();
    let delete = ServerAction::<DeleteProduct>::new();
    refresh_flash_on(update.version());
    let product = Resource::new(move || (project(), slug(), update.version().get()), |(project, slug, _)| get_product(project, slug));
    let choices = Resource::new(project, proxy_choices);
    view! {
        <Title text="Product · Gatehouse"/>
        <Suspense fallback=|| view! { <p>"Loading the product…"</p> }>
            {move || Suspend::new(async move {
                let choices = choices.await.unwrap_or_default();
                match product.await {
                    Ok(found) => {
                        let p = project();
                        let question = format!("Delete {}? Only a product without subscriptions can go.", found.name);
                        let (p_update, p_delete, slug_update, slug_delete) = (p.clone(), p.clone(), found.slug.clone(), found.slug.clone());
                        let header = format!("{} · {} active or suspended subscription(s)", plan_text(&found), found.subscriptions);
                        let title = found.name.clone();
                        view! {
                            <div class="page-header">
                                <p class="breadcrumbs"><a href="/projects">"Projects"</a>" / "<a href=format!("/projects/{p}")>{p.clone()}</a>" / "<a href=format!("/projects/{p}/products")>"Products"</a></p>
                                <h1>{title}</h1>
                                <p class="muted">{header}</p>
                            </div>
                            <section class="card">
                                <h2>"Change the product"</h2>
                                <ActionForm action=update attr:class="form form-grid" attr:data-testid="update-product">
                                    <input type="hidden" name="project" value=p_update/>
                                    <input type="hidden" name="product" value=slug_update/>
                                    <ProductFields value=update.value() choices product=Some(found)/>
                                    <div class="actions">
                                        <button type="submit" class="button primary" disabled=update.pending()>"Save product"</button>
                                    </div>
                                </ActionForm>
                            </section>
                            <section class="card">
                                <h2>"Delete"</h2>
                                <FormError value=delete.value()/>
                                <ActionForm action=delete attr:class="inline-form">
                                    <input type="hidden" name="project" value=p_delete/>
                                    <input type="hidden" name="product" value=slug_delete/>
                                    <ConfirmSubmit label="Delete product" question confirm="Yes, delete"/>
                                </ActionForm>
                            </section>
                        }.into_any()
                    }
                    Err(e) => view! { <LoadError error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}
