//! A project's Subscriptions: who may call its subscription proxies, with filters and pages;
//! subscribe an application (its two keys are shown once, in the message at the top, with a
//! Copy button); suspend, resume, cancel, regenerate a key, each confirmed where it cannot be
//! undone.
use crate::api::consumers::{all_products, list_subscriptions, CreateSubscription, RegenerateKey, SetSubscriptionState};
use crate::components::confirm::ConfirmSubmit;
use crate::components::flash::refresh_flash_on;
use crate::components::format_time;
use crate::components::forms::{EmptyState, FieldError, FormError, LoadError};
use crate::components::pagination::Pagination;
use crate::components::project_tabs::{ProjectTab, ProjectTabs};
use crate::pages::projects::urlencode;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use services::model::{Subscription, SubscriptionState};

#[component]
pub fn SubscriptionsPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let project = move || params.read().get("project").unwrap_or_default();
    let state = move || query.read().get("state").unwrap_or_default();
    let product = move || query.read().get("product").unwrap_or_default();
    let text = move || query.read().get("q").unwrap_or_default();
    let page = move || query.read().get("page").and_then(|p| p.parse().ok()).unwrap_or(1u64);
    let create = ServerAction::<CreateSubscription>::new();
    let set_state = ServerAction::<SetSubscriptionState>::new();
    let regenerate = ServerAction::<RegenerateKey>::new();
    for version in [create.version(), set_state.version(), regenerate.version()] {
        refresh_flash_on(version);
    }
    let changed = move || (create.version().get(), set_state.version().get(), regenerate.version().get());
    let subscriptions = Resource::new(
        move || (project(), state(), product(), text(), page(), changed()),
        |(project, state, product, text, page, _)| list_subscriptions(project, state, product, text, page),
    );
    let products = Resource::new(project, all_products);
    let value = create.value();

    view! {
        <Title text="Subscriptions · Gatehouse"/>
        <div class="page-header">
            <p class="breadcrumbs"><a href="/projects">"Projects"</a>" / "<a href=move || format!("/projects/{}", project())>{project}</a></p>
            <h1>"Subscriptions"</h1>
            <p class="muted">"Each consuming application's access to one product, with two keys so it can rotate without downtime. Changes here hold at the gateway from the next request."</p>
        </div>
        <ProjectTabs project=project() active=ProjectTab::Subscriptions/>
        <FormError value=set_state.value()/>
        <FormError value=regenerate.value()/>
        <Suspense fallback=|| view! { <p>"Loading subscriptions…"</p> }>
            {move || Suspend::new(async move {
                let products = products.await.unwrap_or_default();
                let filter_options = products.iter().map(|p| view! { <option value=p.slug.clone() selected=product() == p.slug>{p.name.clone()}</option> }).collect_view();
                let create_options = products.iter().map(|p| view! { <option value=p.slug.clone()>{p.name.clone()}</option> }).collect_view();
                let listing = match subscriptions.await {
                    Ok(list) if list.items.is_empty() && state().is_empty() && product().is_empty() && text().is_empty() => view! {
                        <EmptyState title="No subscriptions yet">
                            <p>"Subscribe an application below; it gets two keys to call the product's API proxies with."</p>
                        </EmptyState>
                    }.into_any(),
                    Ok(list) if list.items.is_empty() => view! {
                        <EmptyState title="Nothing matches this filter">
                            <p><a href=format!("/projects/{}/subscriptions", project())>"Clear the filter"</a></p>
                        </EmptyState>
                    }.into_any(),
                    Ok(list) => {
                        let (p, s, pr, q) = (project(), state(), product(), text());
                        let (page, page_count, total) = (list.page, list.page_count(), list.total);
                        let href = move |n: u64| format!("/projects/{p}/subscriptions?state={}&product={}&q={}&page={n}", urlencode(&s), urlencode(&pr), urlencode(&q));
                        view! {
                            <table class="table" data-testid="subscription-list">
                                <thead><tr><th>"Application"</th><th>"Product"</th><th>"State"</th><th>"Keys"</th><th>"Since"</th><th></th></tr></thead>
                                <tbody>{list.items.into_iter().map(|sub| view! { <Row sub project=project() set_state regenerate/> }).collect_view()}</tbody>
                            </table>
                            <Pagination page page_count total href/>
                        }.into_any()
                    }
                    Err(e) => view! { <LoadError error=e/> }.into_any(),
                };
                view! {
                    <form method="get" class="filter-bar" role="search">
                        <label for="state" class="visually-hidden">"State"</label>
                        <select id="state" name="state">
                            <option value="" selected=state().is_empty()>"Every state"</option>
                            {SubscriptionState::ALL.map(|s| view! { <option value=s.as_str() selected=state() == s.as_str()>{s.as_str()}</option> }).collect_view()}
                        </select>
                        <label for="product" class="visually-hidden">"Product"</label>
                        <select id="product" name="product">
                            <option value="" selected=product().is_empty()>"Every product"</option>
                            {filter_options}
                        </select>
                        <label for="q" class="visually-hidden">"Filter subscriptions"</label>
                        <input id="q" type="search" name="q" placeholder="Application or contact email" value=text()/>
                        <button type="submit" class="button">"Filter"</button>
                    </form>
                    {listing}
                    <section class="card">
                        <h2>"Subscribe an application"</h2>
                        {if products.is_empty() {
                            view! { <p class="hint">"Create a product first (Products tab): a subscription is to a product."</p> }.into_any()
                        } else {
                            view! {
                                <ActionForm action=create attr:class="form form-grid" attr:data-testid="create-subscription">
                                    <FormError value fields=&["name", "product", "contact_email"]/>
                                    <input type="hidden" name="project" value=project()/>
                                    <div class="field">
                                        <label for="subscription-name">"Application"</label>
                                        <input id="subscription-name" name="name" required maxlength="100" placeholder="Mobile app"/>
                                        <FieldError value field="name"/>
                                    </div>
                                    <div class="field">
                                        <label for="subscription-product">"Product"</label>
                                        <select id="subscription-product" name="product" required>{create_options}</select>
                                        <FieldError value field="product"/>
                                    </div>
                                    <div class="field">
                                        <label for="subscription-email">"Contact email"</label>
                                        <input id="subscription-email" name="contact_email" type="email" maxlength="254" placeholder="optional"/>
                                        <FieldError value field="contact_email"/>
                                    </div>
                                    <div class="actions">
                                        <button type="submit" class="button primary" disabled=create.pending()>"Subscribe"</button>
                                    </div>
                                </ActionForm>
                            }.into_any()
                        }}
                    </section>
                }.into_any()
            })}
        </Suspense>
    }
}

#[component]
fn Row(sub: Subscription, project: String, set_state: ServerAction<SetSubscriptionState>, regenerate: ServerAction<RegenerateKey>) -> impl IntoView {
    let live = sub.state != SubscriptionState::Cancelled;
    let toggle = match sub.state {
        SubscriptionState::Active => Some(("suspended", "Suspend")),
        SubscriptionState::Suspended => Some(("active", "Resume")),
        SubscriptionState::Cancelled => None,
    };
    let (id, name) = (sub.id, sub.name.clone());
    let actions = live.then(|| {
        let (p1, p2, p3, p4) = (project.clone(), project.clone(), project.clone(), project.clone());
        let q_primary = format!("Regenerate the primary key of {name}? The current one stops working at once.");
        let q_secondary = format!("Regenerate the secondary key of {name}? The current one stops working at once.");
        let q_cancel = format!("Cancel the subscription of {name}? Its keys stop working at once, and a cancelled subscription cannot be resumed.");
        view! {
            {toggle.map(|(to, label)| view! {
                <ActionForm action=set_state attr:class="inline-form">
                    <input type="hidden" name="project" value=p1/>
                    <input type="hidden" name="id" value=id/>
                    <input type="hidden" name="state" value=to/>
                    <button type="submit" class="button small">{label}</button>
                </ActionForm>
            })}
            <ActionForm action=regenerate attr:class="inline-form">
                <input type="hidden" name="project" value=p2/>
                <input type="hidden" name="id" value=id/>
                <input type="hidden" name="key" value="primary"/>
                <ConfirmSubmit label="New primary key" question=q_primary confirm="Yes, regenerate"/>
            </ActionForm>
            <ActionForm action=regenerate attr:class="inline-form">
                <input type="hidden" name="project" value=p3/>
                <input type="hidden" name="id" value=id/>
                <input type="hidden" name="key" value="secondary"/>
                <ConfirmSubmit label="New secondary key" question=q_secondary confirm="Yes, regenerate"/>
            </ActionForm>
            <ActionForm action=set_state attr:class="inline-form">
                <input type="hidden" name="project" value=p4/>
                <input type="hidden" name="id" value=id/>
                <input type="hidden" name="state" value="cancelled"/>
                <ConfirmSubmit label="Cancel" question=q_cancel confirm="Yes, cancel"/>
            </ActionForm>
        }
    });
    view! {
        <tr>
            <td><a href=format!("/projects/{project}/subscriptions/{}", sub.id)>{sub.name.clone()}</a><br/><span class="muted">{sub.contact_email.clone()}</span></td>
            <td>{sub.product.name.clone()}</td>
            <td><span class=format!("badge state-{}", sub.state.as_str())>{sub.state.as_str()}</span></td>
            <td><code>{format!("{}…", sub.primary_key_prefix)}</code><br/><code>{format!("{}…", sub.secondary_key_prefix)}</code></td>
            <td>{format_time(&sub.created_at)}</td>
            <td class="row-actions">{actions}</td>
        </tr>
    }
}
