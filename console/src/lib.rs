//! The console: sign in, pick a site, work its inbox, feed its knowledge base
//! and see where the bot fails (knowledge, try it, insights, the
//! conversation log), and run it — settings with a
//! live preview of the real widget, the embed tag, admin keys, the team and
//! webhooks. Everything goes through the documented `/api/v1` routes with
//! the shared request and response types; the server enforces every role,
//! the console only hides what a role cannot use.

mod account;
mod api;
mod chart;
mod inbox;
mod insights;
mod install;
mod keys;
mod knowledge;
mod log;
mod new_site;
mod passages;
mod playground;
mod settings;
mod signin;
mod team;
mod transcript;
mod ui;
mod webhooks;

use lantern_shared::accounts::{MemberRole, SessionInfo};
use leptos::prelude::*;
use leptos::task::spawn_local;

/// The pages of the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    Inbox,
    Knowledge,
    Try,
    Insights,
    Log,
    Settings,
    Install,
    Keys,
    Team,
    Webhooks,
    Account,
    NewSite,
}

impl Page {
    const OWNER: [Page; 12] = [
        Page::Inbox,
        Page::Knowledge,
        Page::Try,
        Page::Insights,
        Page::Log,
        Page::Settings,
        Page::Install,
        Page::Keys,
        Page::Team,
        Page::Webhooks,
        Page::Account,
        Page::NewSite,
    ];

    fn label(self) -> &'static str {
        match self {
            Page::Inbox => "Inbox",
            Page::Knowledge => "Knowledge",
            Page::Try => "Try it",
            Page::Insights => "Insights",
            Page::Log => "Conversations",
            Page::Settings => "Settings",
            Page::Install => "Install",
            Page::Keys => "API keys",
            Page::Team => "Team",
            Page::Webhooks => "Webhooks",
            Page::Account => "Account",
            Page::NewSite => "New site",
        }
    }

    fn owner_only(self) -> bool {
        !matches!(self, Page::Inbox | Page::Account | Page::NewSite)
    }
}

/// What every page can reach.
#[derive(Clone, Copy)]
pub struct Ctx {
    /// The signed-in person, `None` before sign-in.
    pub me: RwSignal<Option<SessionInfo>>,
    /// The site being worked on.
    pub site: RwSignal<Option<String>>,
    pub page: RwSignal<Page>,
}

impl Ctx {
    pub fn site_id(&self) -> String {
        self.site.get_untracked().unwrap_or_default()
    }

    /// The role on the current site.
    pub fn role(&self) -> Option<MemberRole> {
        let site = self.site.get()?;
        self.me.with(|me| {
            me.as_ref()?
                .memberships
                .iter()
                .find(|m| m.site_id == site)
                .map(|m| m.role)
        })
    }

    /// [`Ctx::role`] without subscribing to changes of the person (a page
    /// that saves the profile must not be rebuilt by its own answer).
    pub fn role_untracked(&self) -> Option<MemberRole> {
        let site = self.site.get()?;
        self.me.with_untracked(|me| {
            me.as_ref()?
                .memberships
                .iter()
                .find(|m| m.site_id == site)
                .map(|m| m.role)
        })
    }

    /// Stores a fresh session answer and picks a site if none is picked.
    pub fn signed_in(&self, info: SessionInfo) {
        let keep = self
            .site
            .get_untracked()
            .filter(|s| info.memberships.iter().any(|m| &m.site_id == s));
        let first = info.memberships.first().map(|m| m.site_id.clone());
        self.site.set(keep.or(first));
        if !info.password_set {
            self.page.set(Page::Account);
        }
        self.me.set(Some(info));
    }
}

pub fn ctx() -> Ctx {
    expect_context::<Ctx>()
}

/// Mounts the console.
pub fn start() {
    leptos::mount::mount_to_body(App);
}

#[component]
fn App() -> impl IntoView {
    let ctx = Ctx {
        me: RwSignal::new(None),
        site: RwSignal::new(None),
        page: RwSignal::new(Page::Settings),
    };
    provide_context(ctx);
    let ready = RwSignal::new(false);
    let invite = signin::take_hash("invite");
    let link = signin::take_hash("link");
    spawn_local(async move {
        if let Some(token) = link {
            signin::with_link(ctx, token).await;
        } else if let Ok(info) = api::get::<SessionInfo>("/api/v1/me", None).await {
            ctx.signed_in(info);
        }
        ready.set(true);
    });
    let invite = StoredValue::new(invite);
    // Only signing in or out swaps the layout; profile updates do not.
    let signed = Memo::new(move |_| ctx.me.with(Option::is_some));
    view! {
        <Show when=move || ready.get() fallback=|| view! { <p class="loading" role="status">"Loading…"</p> }>
            {move || match (signed.get(), invite.get_value()) {
                (false, Some(token)) => view! { <signin::AcceptInvite token=token/> }.into_any(),
                (false, None) => view! { <signin::SignIn/> }.into_any(),
                (true, _) => view! { <Shell/> }.into_any(),
            }}
        </Show>
    }
}

/// The signed-in layout: header with the site switcher, navigation, page.
#[component]
fn Shell() -> impl IntoView {
    let ctx = ctx();
    let pages = move || {
        let owner = ctx.role() == Some(MemberRole::Owner);
        Page::OWNER
            .into_iter()
            .filter(|p| owner || !p.owner_only())
            .collect::<Vec<_>>()
    };
    view! {
        <header class="top">
            <span class="brand">"Lantern"</span>
            <SiteSwitcher/>
            <span class="who">{move || ctx.me.with(|m| m.as_ref().map(|m| m.user.name.clone()))}</span>
        </header>
        <nav class="tabs" aria-label="Console">
            {move || pages().into_iter().map(|p| view! {
                <button type="button" class="tab"
                    aria-current=move || (ctx.page.get() == p).then_some("page")
                    on:click=move |_| ctx.page.set(p)>{p.label()}</button>
            }).collect_view()}
        </nav>
        <main id="main" tabindex="-1">
            {move || {
                let page = ctx.page.get();
                // Re-rendered when the page or the site changes, not when
                // the person's profile does.
                let owner = ctx.role_untracked() == Some(MemberRole::Owner);
                match page {
                    Page::Inbox => view! { <inbox::InboxPage/> }.into_any(),
                    Page::Account => view! { <account::Account/> }.into_any(),
                    Page::NewSite => view! { <new_site::NewSite/> }.into_any(),
                    // Agents work the inbox only.
                    _ if !owner => view! { <inbox::InboxPage/> }.into_any(),
                    Page::Knowledge => view! { <knowledge::Knowledge/> }.into_any(),
                    Page::Try => view! { <playground::Playground/> }.into_any(),
                    Page::Insights => view! { <insights::InsightsPage/> }.into_any(),
                    Page::Log => view! { <log::ConversationLog/> }.into_any(),
                    Page::Settings => view! { <settings::Settings/> }.into_any(),
                    Page::Install => view! { <install::Install/> }.into_any(),
                    Page::Keys => view! { <keys::Keys/> }.into_any(),
                    Page::Team => view! { <team::Team/> }.into_any(),
                    Page::Webhooks => view! { <webhooks::Webhooks/> }.into_any(),
                }
            }}
        </main>
    }
}

#[component]
fn SiteSwitcher() -> impl IntoView {
    let ctx = ctx();
    view! {
        <label class="switcher">
            <span class="visually-hidden">"Site"</span>
            <select on:change=move |ev| {
                ctx.site.set(Some(event_target_value(&ev)));
            }>
                {move || ctx.me.with(|me| me.as_ref().map(|me| me.memberships.iter().map(|m| {
                    let id = m.site_id.clone();
                    let selected = ctx.site.get_untracked().as_deref() == Some(id.as_str());
                    let label = format!("{} ({})", if m.site_name.is_empty() { &m.site_id } else { &m.site_name }, m.role.as_str());
                    view! { <option value=id selected=selected>{label}</option> }
                }).collect_view()))}
            </select>
        </label>
    }
}
