//! `/api/v1/federation`: a district's preview, publications and the bundles the city pulls; a
//! city's receiver, its registry of district keys, its figures, approvals and reconciliation.

use actix_web::{web, FromRequest, HttpRequest, HttpResponse};

use crate::access;
use crate::api::record_answer;
use crate::auth::ApiUser;
use crate::config::Settings;
use crate::db::Db;
use crate::error::{AppError, AppResult, Problem};
use crate::extract::{JsonBody, QueryParams};
use crate::federation::city::{self, Approval, CityQuery, CitySummary, DistrictLine};
use crate::federation::keys::Signer;
use crate::federation::publish::{
    self, Destination, Preview, PreviewQuery, PublishInput, Published, PullPage, PullQuery,
};
use crate::federation::receive::{self, Incoming, Receipt};
use crate::federation::reconcile::{self, Reconciled};
use crate::federation::registry::{self, District, Enrolment, Key};

/// Largest bundle accepted (a district of 40 streets × 30 industries is well under).
const BUNDLE_LIMIT: usize = 4 * 1024 * 1024;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(get_preview)
        .service(list_publications)
        .service(create_publication)
        .service(pull_bundles)
        .service(receive_bundle)
        .service(list_districts)
        .service(enrol_key)
        .service(retire_key)
        .service(revoke_key)
        .service(city_summary)
        .service(approve)
        .service(reconciliation);
}

/// Where this district's bundles go.
pub fn destination(settings: &Settings) -> Destination {
    Destination {
        audience: settings.federation_city.clone(),
        url: settings
            .federation_city_url
            .clone()
            .filter(|u| !u.trim().is_empty()),
    }
}

/// Exactly what publishing a period would send now: every cell by street and industry code
/// (names shown beside, never sent), suppressed cells, totals, and earlier revisions.
#[utoipa::path(get, path = "/api/v1/federation/preview", tag = "federation",
    params(PreviewQuery),
    responses((status = 200, body = Preview),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::get("/federation/preview")]
pub(crate) async fn get_preview(
    db: web::Data<Db>,
    settings: web::Data<Settings>,
    ApiUser(actor): ApiUser,
    q: QueryParams<PreviewQuery>,
) -> AppResult<HttpResponse> {
    let to = destination(&settings);
    let preview = access::read(&db, actor, move |c, p| {
        publish::require_district(p)?;
        let period = match &q.0.period {
            Some(text) => publish::period(text)?,
            None => publish::default_period(),
        };
        publish::preview(c, p, &to, period)
    })
    .await?;
    Ok(HttpResponse::Ok().json(preview))
}

/// The district's publications, newest first.
#[utoipa::path(get, path = "/api/v1/federation/publications", tag = "federation",
    responses((status = 200, body = Vec<Published>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::get("/federation/publications")]
pub(crate) async fn list_publications(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
) -> AppResult<HttpResponse> {
    let list = access::read(&db, actor, |c, p| publish::history(c, p, 200)).await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Publishes a period to the city: counts it now, signs it with the district's key, keeps the
/// signed bundle and queues it to the city (or keeps it to be pulled). A correction (revision 2
/// on) needs its `reason`. Without a signing key on the server: 409 `no-signing-key`.
#[utoipa::path(post, path = "/api/v1/federation/publications", tag = "federation",
    request_body = PublishInput,
    responses((status = 201, body = Published),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::post("/federation/publications")]
pub(crate) async fn create_publication(
    db: web::Data<Db>,
    settings: web::Data<Settings>,
    ApiUser(actor): ApiUser,
    body: JsonBody<PublishInput>,
) -> AppResult<HttpResponse> {
    access::read(&db, actor.clone(), |_, p| publish::require_district(p)).await?;
    let signer = load_signer(&settings)?;
    let to = destination(&settings);
    let input = body.0;
    let published = access::write(&db, actor, move |c, p| {
        publish::publish(c, p, (&signer, &to), &input)
    })
    .await?;
    Ok(record_answer(
        true,
        "/api/v1/federation/publications",
        &published,
    ))
}

/// The district's signing key, or 409 `no-signing-key` saying how to make one.
pub fn load_signer(settings: &Settings) -> AppResult<Signer> {
    Signer::load(&settings.federation_key_path()).map_err(|e| {
        tracing::warn!(error = %e, "federation: no usable signing key");
        AppError::conflict("no-signing-key", e)
    })
}

/// Whether the request carries this district's pull token.
fn has_pull_token(req: &HttpRequest, settings: &Settings) -> bool {
    use sha2::{Digest, Sha256};
    let Some(token) = settings.federation_pull_token.as_ref() else {
        return false;
    };
    let given = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    // Digests compared: the time taken says nothing of the token.
    !token.expose().is_empty() && Sha256::digest(given) == Sha256::digest(token.expose())
}

/// The district's signed bundles after `since`, oldest first, for the city to pull: with the
/// district's pull token (`Authorization: Bearer <SA_FEDERATION_PULL_TOKEN>`) or as its
/// regulator.
#[utoipa::path(get, path = "/api/v1/federation/bundles", tag = "federation",
    params(PullQuery),
    responses((status = 200, body = PullPage),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::get("/federation/bundles")]
pub(crate) async fn pull_bundles(
    db: web::Data<Db>,
    settings: web::Data<Settings>,
    req: HttpRequest,
    q: QueryParams<PullQuery>,
) -> AppResult<HttpResponse> {
    let q = q.0;
    let page = if has_pull_token(&req, &settings) {
        db.run(move |c| publish::pull(c, &q)).await?
    } else {
        let ApiUser(actor) = ApiUser::extract(&req).await?;
        access::read(&db, actor, move |c, p| {
            publish::require_district(p)?;
            publish::pull(c, &q)
        })
        .await?
    };
    Ok(HttpResponse::Ok().json(page))
}

/// Receives a district's bundle (a city instance: `SA_FEDERATION_AUDIENCE` set). No login: the
/// signature, by a key the city enrolled for that district, is the credential. The same bundle
/// again changes nothing (200, `unchanged`); a newer revision replaces the scope whole; refusals
/// (403 key, signature or audience; 409 stale or conflicting revision; 422 content outside the
/// district's code list) change nothing.
#[utoipa::path(post, path = "/api/v1/federation/bundles", tag = "federation",
    request_body = Incoming,
    responses((status = 200, body = Receipt),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
#[actix_web::post("/federation/bundles")]
pub(crate) async fn receive_bundle(
    db: web::Data<Db>,
    settings: web::Data<Settings>,
    body: JsonBody<Incoming, BUNDLE_LIMIT>,
) -> AppResult<HttpResponse> {
    let Some(audience) = settings.federation_audience.clone() else {
        return Err(AppError::NotFound);
    };
    let jws = body.0.bundle;
    let receipt = db
        .write(move |c| receive::receive(c, &audience, &jws, "push"))
        .await;
    if let Err(e) = &receipt {
        tracing::warn!(error = %e, "federation: bundle refused");
    }
    Ok(HttpResponse::Ok().json(receipt?))
}

/// The districts enrolled at this city, with their code lists and keys.
#[utoipa::path(get, path = "/api/v1/federation/districts", tag = "federation",
    responses((status = 200, body = Vec<District>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::get("/federation/districts")]
pub(crate) async fn list_districts(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
) -> AppResult<HttpResponse> {
    let list = access::read(&db, actor, |c, p| {
        city::require_reader(p)?;
        registry::list(c)
    })
    .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Enrols a district's public key (and its code list), out of band: administrators only,
/// audited.
#[utoipa::path(post, path = "/api/v1/federation/keys", tag = "federation",
    request_body = Enrolment,
    responses((status = 201, body = Key),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::post("/federation/keys")]
pub(crate) async fn enrol_key(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
    body: JsonBody<Enrolment>,
) -> AppResult<HttpResponse> {
    let input = body.0;
    let key = access::write(&db, actor, move |c, p| {
        registry::require_admin(p)?;
        registry::enrol(c, Some(p.actor.id), &input)
    })
    .await?;
    Ok(record_answer(true, "/api/v1/federation/districts", &key))
}

async fn key_status(
    db: &Db,
    actor: crate::auth::Actor,
    id: i64,
    status: &'static str,
) -> AppResult<HttpResponse> {
    let key = access::write(db, actor, move |c, p| {
        registry::require_admin(p)?;
        registry::set_status(c, Some(p.actor.id), id, status)
    })
    .await?;
    Ok(HttpResponse::Ok().json(key))
}

/// Retires a key (rotated out): it verifies no new bundle, and still re-verifies old ones.
#[utoipa::path(post, path = "/api/v1/federation/keys/{id}/retire", tag = "federation",
    params(("id" = i64, Path, description = "Key id")),
    responses((status = 200, body = Key),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::post("/federation/keys/{id}/retire")]
pub(crate) async fn retire_key(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    key_status(&db, actor, id.into_inner(), "retired").await
}

/// Revokes a key (compromised): every bundle it signs from now on is refused.
#[utoipa::path(post, path = "/api/v1/federation/keys/{id}/revoke", tag = "federation",
    params(("id" = i64, Path, description = "Key id")),
    responses((status = 200, body = Key),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::post("/federation/keys/{id}/revoke")]
pub(crate) async fn revoke_key(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    key_status(&db, actor, id.into_inner(), "revoked").await
}

fn period_or_last(text: &Option<String>) -> AppResult<crate::federation::model::Period> {
    match text {
        Some(t) => crate::federation::model::Period::parse(t.trim())
            .ok_or_else(|| AppError::field("period", crate::message::msg::PERIOD)),
        None => Ok(publish::default_period()),
    }
}

/// The city's figures of a period: the sum of the districts' cells (suppressed ones carry none),
/// by district, street and industry, with each district's standing.
#[utoipa::path(get, path = "/api/v1/federation/summary", tag = "federation",
    params(CityQuery),
    responses((status = 200, body = CitySummary),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::get("/federation/summary")]
pub(crate) async fn city_summary(
    db: web::Data<Db>,
    settings: web::Data<Settings>,
    ApiUser(actor): ApiUser,
    q: QueryParams<CityQuery>,
) -> AppResult<HttpResponse> {
    let period = period_or_last(&q.0.period)?;
    let due = settings.federation_due_days;
    let summary = access::read(&db, actor, move |c, p| {
        city::snapshot(c, |c| city::summary(c, p, period, due))
    })
    .await?;
    Ok(HttpResponse::Ok().json(summary))
}

/// Approves (locks) a district's period as received; a correction later unlocks it, marked
/// revised.
#[utoipa::path(post, path = "/api/v1/federation/approvals", tag = "federation",
    request_body = Approval,
    responses((status = 200, body = DistrictLine),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::post("/federation/approvals")]
pub(crate) async fn approve(
    db: web::Data<Db>,
    settings: web::Data<Settings>,
    ApiUser(actor): ApiUser,
    body: JsonBody<Approval>,
) -> AppResult<HttpResponse> {
    let input = body.0;
    let due = settings.federation_due_days;
    let line = access::write(&db, actor, move |c, p| city::approve(c, p, &input, due)).await?;
    Ok(HttpResponse::Ok().json(line))
}

/// Per district and period, the city's revision and hash beside the district's own account
/// (the manifest of its last bundle), and revisions that never arrived.
#[utoipa::path(get, path = "/api/v1/federation/reconciliation", tag = "federation",
    responses((status = 200, body = Vec<Reconciled>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::get("/federation/reconciliation")]
pub(crate) async fn reconciliation(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
) -> AppResult<HttpResponse> {
    let rows = access::read(&db, actor, |c, p| {
        city::snapshot(c, |c| reconcile::reconciliation(c, p))
    })
    .await?;
    Ok(HttpResponse::Ok().json(rows))
}
