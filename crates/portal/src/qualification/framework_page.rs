//! The competency framework as a public page: what the open badges of this
//! instance align to (`/qualifizierung/kompetenzrahmen#AREA-LEVEL`), so a
//! badge's alignment link leads somewhere a reader outside the town hall
//! can follow.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use journey::competency::CompetencyModel;

use crate::auth::{CurrentUser, Identity};
use crate::error::PageError;
use crate::qualification::catalogue::model;
use crate::view::{render, Layout};
use crate::AppState;

#[derive(Template)]
#[template(path = "qualification/framework.html")]
struct FrameworkPage {
    layout: Layout,
    model: CompetencyModel,
}

impl FrameworkPage {
    fn level_name(&self, level: &u8) -> String {
        self.model
            .levels
            .iter()
            .find(|l| l.level == *level)
            .map_or_else(
                || format!("Stufe {level}"),
                |l| format!("Stufe {level}: {}", l.name),
            )
    }

    fn area_name(&self, id: &str) -> String {
        self.model
            .area(id)
            .map_or_else(|| id.to_string(), |a| a.short_name.clone())
    }
}

pub async fn show(
    State(state): State<AppState>,
    identity: Identity,
) -> Result<Response, PageError> {
    let title = "Kompetenzrahmen KI";
    let layout = match identity.user.clone() {
        Some(user) => {
            let cu = CurrentUser { user, identity };
            Layout::for_user(&state, &cu, title, "/qualifizierung").await
        }
        None => Layout::anonymous(title, String::new()),
    };
    render(&FrameworkPage {
        layout,
        model: model(&state).await?,
    })
}
