"""``microfactory tokens ...`` and ``users ...``: API tokens (hashed, revocable, expiring) and dashboard users."""

from __future__ import annotations

import typer

from microfactory.entrypoints.cli.common import (
    DbOption,
    JsonOption,
    console,
    container,
    dump_json,
    handle_errors,
    table,
)
from microfactory.services import auth

tokens = typer.Typer(help="API tokens for the REST API (Authorization: Bearer <token>).", no_args_is_help=True)
users = typer.Typer(help="Dashboard users.", no_args_is_help=True)
ROLE_HELP = "admin | site_operator | brand | public"


@tokens.command("create")
@handle_errors
def create_token(name: str = typer.Option(..., "--name"), role: str = typer.Option(..., "--role", help=ROLE_HELP),
                 brand: str | None = typer.Option(None, "--brand"), site: str | None = typer.Option(None, "--site"),
                 days: int = typer.Option(90, "--days", help="expiry in days (0: never)"),
                 db: str | None = DbOption, json_out: bool = JsonOption) -> None:
    """Create a token; the secret is printed once and stored only as a hash."""
    c = container(db)
    with c.uow() as uow:
        secret, info = auth.create_token(uow, name=name, role=role, brand=brand, site=site, days=days or None,
                                         now=c.clock.now(), actor="cli")
        uow.commit()
    if json_out:
        dump_json(info | {"token": secret})
    else:
        console.print(f"token {info['id']} ({role}) — keep it, it is not shown again:\n{secret}")


@tokens.command("list")
@handle_errors
def list_tokens(db: str | None = DbOption, json_out: bool = JsonOption) -> None:
    """Every token (never the secrets)."""
    c = container(db)
    with c.uow() as uow:
        rows = uow.auth.tokens()
    if json_out:
        dump_json(rows)
    else:
        table("API tokens", ["id", "name", "role", "brand", "site", "expires", "revoked"],
              [(r["id"], r["name"], r["role"], r["brand"], r["site"], r["expires_at"], r["revoked"]) for r in rows])


@tokens.command("revoke")
@handle_errors
def revoke(token_id: str, db: str | None = DbOption) -> None:
    """Revoke a token (API workers refuse it within MICROFACTORY_TOKEN_CACHE_S seconds, default 2)."""
    c = container(db)
    with c.uow() as uow:
        auth.revoke_token(uow, token_id, c.clock.now(), actor="cli")
        uow.commit()
    console.print(f"revoked {token_id}")


@users.command("create")
@handle_errors
def create_user(username: str, role: str = typer.Option(..., "--role", help=ROLE_HELP),
                password: str = typer.Option(..., "--password", prompt=True, hide_input=True),
                brand: str | None = typer.Option(None, "--brand"), site: str | None = typer.Option(None, "--site"),
                db: str | None = DbOption) -> None:
    """Create a dashboard user (password stored as PBKDF2-SHA256)."""
    c = container(db)
    with c.uow() as uow:
        auth.create_user(uow, username=username, password=password, role=role, brand=brand, site=site,
                         now=c.clock.now(), actor="cli")
        uow.commit()
    console.print(f"user {username} ({role}) created")


GROUPS = {"tokens": tokens, "users": users}


hooks = typer.Typer(help="Outgoing webhooks (order and batch status changes).", no_args_is_help=True)


@hooks.command("subscribe")
@handle_errors
def hooks_subscribe(url: str, events: str = typer.Option("order.status_changed,batch.status_changed", "--events"),
                    brand: str | None = typer.Option(None, "--brand"), db: str | None = DbOption,
                    json_out: bool = JsonOption) -> None:
    """Subscribe a URL; prints the signing secret once."""
    from microfactory.services import webhooks

    c = container(db)
    with c.uow() as uow:
        sub = webhooks.subscribe(uow, url=url, events=events.split(","), brand=brand, now=c.clock.now(), actor="cli")
        uow.commit()
    dump_json(sub) if json_out else console.print(f"subscription {sub['id']}; secret (shown once): {sub['secret']}")


@hooks.command("deliver")
@handle_errors
def hooks_deliver(db: str | None = DbOption, json_out: bool = JsonOption) -> None:
    """Send every due delivery once (the API process does this in the background too)."""
    from microfactory.adapters.http_sender import HttpSender
    from microfactory.services.webhooks import deliver_due

    c = container(db)
    counts = deliver_due(c.uow, HttpSender(), c.clock.now())
    dump_json(counts) if json_out else table("webhook deliveries", ["what", "count"], counts.items())


@hooks.command("log")
@handle_errors
def hooks_log(db: str | None = DbOption, json_out: bool = JsonOption) -> None:
    """The latest deliveries."""
    c = container(db)
    with c.uow(readonly=True) as uow:
        rows = uow.webhooks.log()
    if json_out:
        dump_json(rows)
    else:
        table("webhook deliveries", ["id", "event", "status", "attempts", "code", "error"],
              [(r["id"], r["event"], r["status"], r["attempts"], r["last_status_code"], r["last_error"]) for r in rows])


GROUPS["webhooks"] = hooks
