//! `/api/v1/users/{id}/invitations`, `/api/v1/invitations/…`: one-time links to set a password.

use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use crate::access;
use crate::auth::token::TokenKeys;
use crate::auth::{password, ApiUser, UserId};
use crate::config::Settings;
use crate::db::Db;
use crate::error::{AppError, AppResult, Problem};
use crate::extract::JsonBody;
use crate::limits::PasswordHashing;
use crate::users::invitations::{self, AcceptInvitation, Invitation, Links, NewInvitation};
use crate::users::service;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list_invitations)
        .service(create_invitation)
        .service(revoke_invitation)
        .service(accept_invitation);
}

/// The invitation and reset links of an account the caller manages, newest first (a pending
/// one with its link).
#[utoipa::path(get, path = "/api/v1/users/{id}/invitations", tag = "users",
    params(("id" = i64, Path, description = "User id")),
    responses((status = 200, body = Vec<Invitation>), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::get("/users/{id}/invitations")]
async fn list_invitations(
    db: web::Data<Db>,
    keys: web::Data<TokenKeys>,
    ApiUser(actor): ApiUser,
    id: web::Path<UserId>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let key = keys.links.clone();
    let list = access::read(&db, actor, move |c, p| invitations::list(c, p, &key, id)).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(list))
}

/// Issues a new link (an invitation, or a password reset) for an account the caller manages,
/// withdrawing its earlier pending ones; `send_mail` also mails it to the person.
#[utoipa::path(post, path = "/api/v1/users/{id}/invitations", tag = "users", request_body = NewInvitation,
    params(("id" = i64, Path, description = "User id")),
    responses((status = 201, body = Invitation), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"), (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::post("/users/{id}/invitations")]
async fn create_invitation(
    db: web::Data<Db>,
    keys: web::Data<TokenKeys>,
    settings: web::Data<Settings>,
    ApiUser(actor): ApiUser,
    id: web::Path<UserId>,
    body: JsonBody<NewInvitation>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let key = keys.links.clone();
    let days = settings.invitation_days;
    let invitation = access::write(&db, actor, move |c, p| {
        let links = Links { key: &key, days };
        let issued = invitations::issue_for(c, p, links, id, body.0.purpose)?;
        if body.0.send_mail {
            invitations::mail(c, &issued)?;
        }
        Ok(issued)
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Cache-Control", "no-store"))
        .json(invitation))
}

/// Withdraws a pending link: it no longer works.
#[utoipa::path(post, path = "/api/v1/invitations/{id}/revoke", tag = "users",
    params(("id" = i64, Path, description = "Invitation id")),
    responses((status = 200, body = Invitation), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::post("/invitations/{id}/revoke")]
async fn revoke_invitation(
    db: web::Data<Db>,
    keys: web::Data<TokenKeys>,
    ApiUser(actor): ApiUser,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let key = keys.links.clone();
    let revoked =
        access::write(&db, actor, move |c, p| invitations::revoke(c, p, &key, id)).await?;
    Ok(HttpResponse::Ok().json(revoked))
}

#[derive(Serialize, ToSchema)]
pub struct Accepted {
    pub user_id: UserId,
    pub email: String,
}

/// Uses a link (no login: the token is the proof): sets the password the person chose and ends
/// their sessions. A link works once: used, expired or withdrawn it answers 409; an unknown one
/// 404.
#[utoipa::path(post, path = "/api/v1/invitations/accept", tag = "users", request_body = AcceptInvitation,
    responses((status = 200, body = Accepted), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 429, body = Problem, content_type = "application/problem+json")))]
#[actix_web::post("/invitations/accept")]
async fn accept_invitation(
    db: web::Data<Db>,
    keys: web::Data<TokenKeys>,
    hashing: web::Data<PasswordHashing>,
    body: JsonBody<AcceptInvitation>,
) -> AppResult<HttpResponse> {
    let AcceptInvitation {
        token,
        password: chosen,
    } = body.0;
    let key = keys.links.clone();
    let accepted = accept(&db, &hashing, key, token, chosen).await?;
    Ok(HttpResponse::Ok().json(accepted))
}

/// Checks the token and the password, hashes it off the workers and uses the link (shared by
/// the page).
pub(crate) async fn accept(
    db: &Db,
    hashing: &PasswordHashing,
    key: crate::auth::token::LinkKey,
    token: String,
    chosen: String,
) -> AppResult<Accepted> {
    // A link that no longer works is said before the password is judged.
    let (probe_key, probe_token) = (key.clone(), token.clone());
    db.run(move |c| invitations::open(c, &probe_key, &probe_token).map(|_| ()))
        .await?;
    if let Err(message) = password::check_strength(&chosen) {
        return Err(AppError::field("password", message));
    }
    let prepared = service::prepare_password(hashing, Some(chosen)).await?;
    let hash = prepared.into_hash()?;
    db.write(move |c| {
        let id = invitations::accept(c, &key, &token, &hash)?;
        let email = crate::auth::user::find(c, id)?
            .map(|u| u.email)
            .unwrap_or_default();
        Ok(Accepted { user_id: id, email })
    })
    .await
}
