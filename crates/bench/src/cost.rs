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
