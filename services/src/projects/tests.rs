use super::*;
use crate::testing;

fn named(name: &str) -> NewProject {
    NewProject { name: name.into(), ..Default::default() }
}

#[tokio::test]
async fn creating_derives_the_slug_and_makes_the_creator_owner() {
    let db = testing::db().await;
    testing::let_everyone_create_projects(&db).await;
    let ada = testing::user(&db, "ada@example.test", false).await;
    let created = create(&db, &ada, named("Weather APIs")).await.unwrap();
    assert_eq!(created.slug, "weather-apis");
    assert_eq!(created.role, Some(Role::Owner));
    let by_slug = get(&db, &ada, "weather-apis").await.unwrap();
    let by_id = get(&db, &ada, &created.id.to_string()).await.unwrap();
    assert_eq!(by_slug, by_id);

    let taken = create(&db, &ada, named("Weather APIs")).await.unwrap_err();
    assert_eq!(taken.field(), Some("slug"));
    let typed = create(&db, &ada, NewProject { slug: "wx".into(), ..named("Weather APIs") }).await.unwrap();
    assert_eq!(typed.slug, "wx");
    assert_eq!(create(&db, &ada, named("  ")).await.unwrap_err().field(), Some("name"));
    assert_eq!(create(&db, &ada, NewProject { slug: "Bad Slug".into(), ..named("x") }).await.unwrap_err().field(), Some("slug"));
}

#[tokio::test]
async fn outsiders_see_nothing_and_viewers_change_nothing() {
    let db = testing::db().await;
    testing::let_everyone_create_projects(&db).await;
    let ada = testing::user(&db, "ada@example.test", false).await;
    let bob = testing::user(&db, "bob@example.test", false).await;
    let admin = testing::user(&db, "root@example.test", true).await;
    let project = create(&db, &ada, named("Payments")).await.unwrap();

    assert_eq!(list(&db, &bob, "", 1, 20).await.unwrap().total, 0);
    assert!(matches!(get(&db, &bob, "payments").await, Err(Error::NotFound(_))));
    assert!(matches!(get(&db, &bob, &project.id.to_string()).await, Err(Error::NotFound(_))));
    assert_eq!(list(&db, &admin, "", 1, 20).await.unwrap().total, 1, "admins see every project");

    add_member(&db, &ada, "payments", "bob@example.test", Role::Viewer).await.unwrap();
    assert_eq!(list(&db, &bob, "", 1, 20).await.unwrap().items[0].role, Some(Role::Viewer));
    assert!(access(&db, &bob, "payments", Need::See).await.is_ok());
    assert!(matches!(access(&db, &bob, "payments", Need::Edit).await, Err(Error::Forbidden(_))));
    assert!(matches!(add_member(&db, &bob, "payments", "root@example.test", Role::Owner).await, Err(Error::Forbidden(_))));

    set_member_role(&db, &ada, "payments", bob.id, Role::Publisher).await.unwrap();
    assert!(access(&db, &bob, "payments", Need::Edit).await.is_ok());
    assert!(matches!(access(&db, &bob, "payments", Need::Own).await, Err(Error::Forbidden(_))));
}

#[tokio::test]
async fn members_are_managed_by_owners_and_one_owner_remains() {
    let db = testing::db().await;
    testing::let_everyone_create_projects(&db).await;
    let ada = testing::user(&db, "ada@example.test", false).await;
    let bob = testing::user(&db, "bob@example.test", false).await;
    create(&db, &ada, named("Payments")).await.unwrap();

    let unknown = add_member(&db, &ada, "payments", "nobody@example.test", Role::Viewer).await.unwrap_err();
    assert_eq!(unknown.field(), Some("email"));
    add_member(&db, &ada, "payments", "BOB@example.test", Role::Viewer).await.unwrap();
    assert_eq!(add_member(&db, &ada, "payments", "bob@example.test", Role::Viewer).await.unwrap_err().field(), Some("email"));
    assert_eq!(list_members(&db, &bob, "payments").await.unwrap().len(), 2);

    assert!(matches!(set_member_role(&db, &ada, "payments", ada.id, Role::Viewer).await, Err(Error::Conflict(_))));
    assert!(matches!(remove_member(&db, &ada, "payments", ada.id).await, Err(Error::Conflict(_))));
    set_member_role(&db, &ada, "payments", bob.id, Role::Owner).await.unwrap();
    remove_member(&db, &ada, "payments", ada.id).await.unwrap();
    assert!(matches!(get(&db, &ada, "payments").await, Err(Error::NotFound(_))));
}

#[tokio::test]
async fn lists_filter_and_paginate() {
    let db = testing::db().await;
    testing::let_everyone_create_projects(&db).await;
    let ada = testing::user(&db, "ada@example.test", false).await;
    for i in 0..25 {
        create(&db, &ada, named(&format!("Project {i:02}"))).await.unwrap();
    }
    let first = list(&db, &ada, "", 1, 10).await.unwrap();
    assert_eq!((first.items.len(), first.total, first.page_count()), (10, 25, 3));
    assert_eq!(first.items[0].name, "Project 00");
    let last = list(&db, &ada, "", 3, 10).await.unwrap();
    assert_eq!(last.items.len(), 5);
    assert_eq!(list(&db, &ada, "project-1", 1, 10).await.unwrap().total, 10);
    assert_eq!(list(&db, &ada, "PROJECT 2", 1, 10).await.unwrap().total, 5, "case does not matter");
    assert_eq!(list(&db, &ada, "%", 1, 10).await.unwrap().total, 0, "wildcards are literal");
}
