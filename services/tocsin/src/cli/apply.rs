//! `tocsin apply -f TEMPLATE` for CloudFormation templates: validate, show the plan of
//! changes, then (after `--yes` or a "yes" typed at a terminal) write what differs.
//! `--dry-run` stops after the plan. YAML manifests keep their own path (`crate::manifest`).

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

use anyhow::{Context as _, bail};
use tocsin_runtime::Context;

use crate::cfn::{self, changes};

/// How far `apply` goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirm {
    /// Apply without asking (`--yes`, and `tocsin dev -f`).
    Yes,
    /// Show the plan only (`--dry-run`).
    DryRun,
    /// Ask on the terminal; refuse when there is none.
    Ask,
}

/// Plans and applies a template read from `file`; `out` gets the plan and the outcome.
pub async fn template(
    ctx: &Context,
    file: &Path,
    text: &str,
    confirm: Confirm,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let invalid = || format!("{} is not a valid template", file.display());
    let template = cfn::parse(text)
        .map_err(anyhow::Error::msg)
        .with_context(invalid)?;
    let desired = cfn::resolve(&template, &ctx.settings.account_id, &ctx.settings.region)
        .with_context(invalid)?;
    let records = ctx.records();
    let plan = changes::plan(&records, &desired, ctx.clock.now()).await?;
    write!(out, "{}", changes::render(&plan, &desired.skipped))?;
    let pending = plan
        .iter()
        .filter(|c| c.action != changes::Action::Unchanged)
        .count();
    if pending == 0 {
        writeln!(out, "Nothing to change.")?;
        return Ok(());
    }
    match confirm {
        Confirm::DryRun => {
            writeln!(out, "Dry run: nothing written.")?;
            return Ok(());
        }
        Confirm::Ask => {
            if !std::io::stdin().is_terminal() {
                bail!("not applied: pass --yes to apply without a terminal to confirm on");
            }
            write!(out, "Apply these {pending} changes? [y/N] ")?;
            out.flush()?;
            let mut answer = String::new();
            std::io::stdin().lock().read_line(&mut answer)?;
            if !matches!(answer.trim(), "y" | "Y" | "yes") {
                writeln!(out, "Not applied.")?;
                return Ok(());
            }
        }
        Confirm::Yes => {}
    }
    let written = changes::apply(&records, &plan).await?;
    writeln!(
        out,
        "Applied {}: {written} resources written.",
        file.display()
    )?;
    Ok(())
}
