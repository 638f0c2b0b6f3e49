//! `ki-reise user add` and `ki-reise apikey create`.

use std::io::{BufRead, IsTerminal, Write};

use journey::access::Role;
use store::users::NewUser;
use store::Actor;

use crate::cli::{ApikeyCreateArgs, UserAddArgs};
use crate::config::Settings;
use crate::CliError;

fn read_password() -> Result<String, CliError> {
    if let Ok(pw) = std::env::var("KI_REISE_PASSWORD") {
        return Ok(pw);
    }
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("Passwort (mindestens 10 Zeichen): ");
        let _ = std::io::stderr().flush();
    }
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .map_err(|e| CliError(format!("Das Passwort konnte nicht gelesen werden: {e}")))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

pub async fn add(args: UserAddArgs) -> Result<(), CliError> {
    let role = Role::parse(&args.role).ok_or_else(|| {
        CliError(format!(
            "Die Rolle „{}“ gibt es nicht. Erlaubt: admin, project-team, staff, viewer.",
            args.role
        ))
    })?;
    let mut errors = Vec::new();
    journey::profile::check_text("name", &args.name, true, 200, &mut errors);
    if let Some(e) = errors.first() {
        return Err(CliError(format!("Name: {}", e.message)));
    }
    if let Some(msg) = portal::form::check_email(&args.email) {
        return Err(CliError(msg));
    }
    let password = read_password()?;
    portal::auth::password::check_new(&password).map_err(CliError)?;
    let settings = Settings::resolve(&args.db, None)?;
    let store = crate::database::open(&settings).await?;
    if let Some(dept) = &args.department {
        let known = store
            .profile()
            .await?
            .map(|(p, _)| p.departments)
            .unwrap_or_default();
        if !known.iter().any(|d| &d.name == dept) {
            return Err(CliError(format!(
                "Den Fachbereich „{dept}“ gibt es im Profil der Kommune nicht."
            )));
        }
    }
    let hash = portal::auth::password::hash(password).await?;
    let user = store
        .create_user(
            &Actor::command_line(),
            &NewUser {
                email: args.email,
                name: args.name,
                role,
                department: args.department,
                password_hash: Some(hash),
            },
        )
        .await?;
    println!(
        "Konto angelegt: {} <{}> ({})",
        user.name,
        user.email,
        user.role.label()
    );
    Ok(())
}

pub async fn create_api_key(args: ApikeyCreateArgs) -> Result<(), CliError> {
    let settings = Settings::resolve(&args.db, None)?;
    let store = crate::database::open(&settings).await?;
    let user = store.user_by_email(&args.email).await?.ok_or_else(|| {
        CliError(format!(
            "Es gibt kein Konto mit der E-Mail-Adresse {}.",
            args.email
        ))
    })?;
    if !user.active {
        return Err(CliError(format!(
            "Das Konto {} ist deaktiviert.",
            user.email
        )));
    }
    let (_, secret) = store
        .create_api_key(&Actor::command_line(), &user, &args.name)
        .await?;
    println!("{secret}");
    eprintln!(
        "Dieser Schlüssel wird nur jetzt angezeigt. Er handelt mit den Rechten von {} ({}).",
        user.name,
        user.role.label()
    );
    Ok(())
}
