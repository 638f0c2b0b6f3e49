//! From a target's cost spec and its measured throughput to € per million
//! output tokens, € per 1,000 requests and € per user and month.

use serde::{Deserialize, Serialize};

use crate::spec::{Cost, UserModel};

/// Prices derived for one target. `None` where the measurement gives no
/// basis (no throughput, no user capacity).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CostFigures {
    /// Fixed cost per month (rent, or depreciation + power + upkeep); 0 for per-token prices.
    pub monthly_fixed_eur: f64,
    /// Cost per hour of operation, for fixed-cost models.
    pub hourly_eur: Option<f64>,
    pub eur_per_1m_output_tokens: Option<f64>,
    pub eur_per_1000_requests: Option<f64>,
    pub eur_per_user_month: Option<f64>,
    /// Cloud: the minimum term in months, if any.
    pub min_term_months: Option<f64>,
}

/// Measured figures the prices are based on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Throughput {
    pub output_tokens_per_s: f64,
    pub requests_per_s: f64,
    pub input_tokens_per_request: f64,
    pub output_tokens_per_request: f64,
}

/// Prices a target. Fixed costs are spread over the hours of operation at
/// the measured (saturated) throughput, so € per token is the lower bound a
/// fully used machine reaches; € per user spreads the monthly cost over the
/// users the target can serve.
pub fn price(
    cost: &Cost,
    tp: Option<Throughput>,
    users_served: Option<u64>,
    users: &UserModel,
) -> CostFigures {
    match *cost {
        Cost::PerToken {
            eur_per_1m_input,
            eur_per_1m_output,
        } => {
            let per_request = tp.map(|t| {
                (t.input_tokens_per_request * eur_per_1m_input
                    + t.output_tokens_per_request * eur_per_1m_output)
                    / 1e6
            });
            let input_share = tp
                .filter(|t| t.output_tokens_per_request > 0.0)
                .map(|t| t.input_tokens_per_request / t.output_tokens_per_request)
                .unwrap_or(0.0);
            CostFigures {
                monthly_fixed_eur: 0.0,
                hourly_eur: None,
                // Input tokens are part of what an output token costs here.
                eur_per_1m_output_tokens: Some(eur_per_1m_output + input_share * eur_per_1m_input),
                eur_per_1000_requests: per_request.map(|c| c * 1000.0),
                eur_per_user_month: per_request.map(|c| c * users.requests_per_user_per_month),
                min_term_months: None,
            }
        }
        _ => {
            let (monthly, hours, min_term) = fixed_monthly(cost);
            let hourly = monthly / hours;
            let per = |rate: f64, unit: f64| (rate > 0.0).then(|| hourly / (rate * 3600.0) * unit);
            CostFigures {
                monthly_fixed_eur: monthly,
                hourly_eur: Some(hourly),
                eur_per_1m_output_tokens: tp.and_then(|t| per(t.output_tokens_per_s, 1e6)),
                eur_per_1000_requests: tp.and_then(|t| per(t.requests_per_s, 1000.0)),
                eur_per_user_month: users_served.filter(|&u| u > 0).map(|u| monthly / u as f64),
                min_term_months: min_term,
            }
        }
    }
}

/// How a target's cost grows with the number of staff it serves.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scaling {
    /// Whole instances (devices, rented servers), each serving `users`.
    PerInstance { users: u64, monthly_eur: f64 },
    /// Paid per use: a fixed amount per user and month.
    PerUser { monthly_eur: f64 },
}

impl Scaling {
    /// The scaling of a priced target; `None` when it cannot serve anyone.
    pub fn of(cost: &Cost, figures: &CostFigures, users_served: Option<u64>) -> Option<Scaling> {
        match cost {
            Cost::PerToken { .. } => figures
                .eur_per_user_month
                .map(|monthly_eur| Scaling::PerUser { monthly_eur }),
            _ => users_served
                .filter(|&u| u > 0)
                .map(|users| Scaling::PerInstance {
                    users,
                    monthly_eur: figures.monthly_fixed_eur,
                }),
        }
    }

    /// Instances needed (for per-use prices: none) and monthly cost for `staff`.
    pub fn for_staff(self, staff: u64) -> (Option<u64>, f64) {
        match self {
            Scaling::PerInstance { users, monthly_eur } => {
                let units = staff.div_ceil(users);
                (Some(units), units as f64 * monthly_eur)
            }
            Scaling::PerUser { monthly_eur } => (None, monthly_eur * staff as f64),
        }
    }
}

/// Where one option overtakes another as the number of staff grows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BreakEven {
    /// Cheaper below `users`.
    pub cheaper_below: String,
    /// Cheaper from `users` on (up to the end of the scan).
    pub cheaper_from: String,
    pub users: u64,
}

/// Staff numbers scanned for a break-even; more than a large city employs.
pub const BREAK_EVEN_SCAN: u64 = 20_000;

/// The number of staff from which `b` stays cheaper than `a` (or the other
/// way round) for every larger number up to [`BREAK_EVEN_SCAN`]. Whole
/// instances make costs jump, so the order may flip back and forth for
/// small numbers; the last flip is the one that decides. `None` when one
/// option is never more expensive than the other.
pub fn break_even(a: (&str, Scaling), b: (&str, Scaling)) -> Option<BreakEven> {
    let a_cheaper = |u: u64| a.1.for_staff(u).1 <= b.1.for_staff(u).1;
    let mut last_flip = None;
    let mut prev = a_cheaper(1);
    for u in 2..=BREAK_EVEN_SCAN {
        let now = a_cheaper(u);
        if now != prev {
            last_flip = Some((u, now));
            prev = now;
        }
    }
    last_flip.map(|(users, a_now)| {
        let (below, from) = if a_now { (b.0, a.0) } else { (a.0, b.0) };
        BreakEven {
            cheaper_below: below.to_string(),
            cheaper_from: from.to_string(),
            users,
        }
    })
}

/// Monthly fixed cost, hours of operation per month, minimum term.
fn fixed_monthly(cost: &Cost) -> (f64, f64, Option<f64>) {
    match *cost {
        Cost::Hourly {
            eur_per_hour,
            hours_per_month,
            min_term_months,
        } => (
            eur_per_hour * hours_per_month,
            hours_per_month,
            min_term_months,
        ),
        Cost::Monthly { eur_per_month } => (eur_per_month, 730.0, None),
        Cost::Purchase {
            price_eur,
            years,
            power_watts,
            eur_per_kwh,
            hours_per_month,
            maintenance_eur_per_year,
        } => {
            let depreciation = price_eur / (years * 12.0);
            let power = power_watts / 1000.0 * hours_per_month * eur_per_kwh;
            (
                depreciation + power + maintenance_eur_per_year / 12.0,
                hours_per_month,
                None,
            )
        }
        Cost::PerToken { .. } => (0.0, 730.0, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tp(tok_s: f64, req_s: f64) -> Throughput {
        Throughput {
            output_tokens_per_s: tok_s,
            requests_per_s: req_s,
            input_tokens_per_request: 400.0,
            output_tokens_per_request: 200.0,
        }
    }

    #[test]
    fn a_purchased_workstation_is_depreciation_plus_power() {
        // 1,440 € over 4 years = 30 €/month; 100 W × 200 h × 0.30 €/kWh = 6 €.
        let cost = Cost::Purchase {
            price_eur: 1440.0,
            years: 4.0,
            power_watts: 100.0,
            eur_per_kwh: 0.30,
            hours_per_month: 200.0,
            maintenance_eur_per_year: 0.0,
        };
        let f = price(&cost, Some(tp(10.0, 0.05)), Some(18), &UserModel::default());
        assert!((f.monthly_fixed_eur - 36.0).abs() < 1e-9);
        let hourly = 36.0 / 200.0; // 0.18 €/h
        assert!((f.hourly_eur.unwrap() - hourly).abs() < 1e-12);
        // 10 tok/s = 36,000 tok/h → 0.18 € / 36,000 × 1e6 = 5 € per 1M
        assert!((f.eur_per_1m_output_tokens.unwrap() - 5.0).abs() < 1e-9);
        // 0.05 req/s = 180 req/h → 0.18 / 180 × 1000 = 1 € per 1,000
        assert!((f.eur_per_1000_requests.unwrap() - 1.0).abs() < 1e-9);
        assert!((f.eur_per_user_month.unwrap() - 2.0).abs() < 1e-9);
    }

    #[test]
    fn an_hourly_cloud_is_rent_times_hours() {
        let cost = Cost::Hourly {
            eur_per_hour: 2.0,
            hours_per_month: 730.0,
            min_term_months: Some(1.0),
        };
        let f = price(
            &cost,
            Some(tp(720.0, 2.0)),
            Some(146),
            &UserModel::default(),
        );
        assert!((f.monthly_fixed_eur - 1460.0).abs() < 1e-9);
        // 720 tok/s = 2,592,000 tok/h → 2 € / 2.592 = 0.7716 € per 1M
        assert!((f.eur_per_1m_output_tokens.unwrap() - 2.0 / 2.592).abs() < 1e-9);
        assert!((f.eur_per_user_month.unwrap() - 10.0).abs() < 1e-9);
        assert_eq!(f.min_term_months, Some(1.0));
    }

    #[test]
    fn per_token_prices_scale_with_use() {
        let cost = Cost::PerToken {
            eur_per_1m_input: 1.0,
            eur_per_1m_output: 4.0,
        };
        let users = UserModel {
            requests_per_user_per_month: 500.0,
            ..UserModel::default()
        };
        let f = price(&cost, Some(tp(50.0, 1.0)), None, &users);
        // per request: 400 × 1 + 200 × 4 = 1,200 µ€ = 0.0012 €
        assert!((f.eur_per_1000_requests.unwrap() - 1.2).abs() < 1e-9);
        assert!((f.eur_per_user_month.unwrap() - 0.6).abs() < 1e-9);
        assert!((f.eur_per_1m_output_tokens.unwrap() - 6.0).abs() < 1e-9);
    }

    #[test]
    fn the_break_even_is_the_last_flip_of_the_cheaper_option() {
        // Workstation: 10 users per 36 € device (3.60 € a user, in steps);
        // API: 5 € a user. Steps let the API win just after each new device
        // until 21 users (108 € vs 105 €); from 22 on the devices stay cheaper.
        let ws = Scaling::PerInstance {
            users: 10,
            monthly_eur: 36.0,
        };
        let api = Scaling::PerUser { monthly_eur: 5.0 };
        assert_eq!(
            break_even(("Arbeitsplatz", ws), ("API", api)),
            Some(BreakEven {
                cheaper_below: "API".into(),
                cheaper_from: "Arbeitsplatz".into(),
                users: 22,
            })
        );
        // A bigger, dearer-per-user server is never cheaper: no break-even.
        let cloud = Scaling::PerInstance {
            users: 40,
            monthly_eur: 1460.0,
        };
        assert_eq!(break_even(("Arbeitsplatz", ws), ("Cloud", cloud)), None);
        assert_eq!(ws.for_staff(30), (Some(3), 108.0));
        assert_eq!(api.for_staff(30), (None, 150.0));
    }

    #[test]
    fn without_throughput_or_capacity_there_is_no_unit_price() {
        let cost = Cost::Monthly {
            eur_per_month: 900.0,
        };
        let f = price(&cost, None, None, &UserModel::default());
        assert_eq!(f.monthly_fixed_eur, 900.0);
        assert_eq!(f.eur_per_1m_output_tokens, None);
        assert_eq!(f.eur_per_user_month, None);
    }
}
