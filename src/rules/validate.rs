//! A rule set that did not come from the checker (deserialised from JSON, say) is checked
//! here before anything runs it: every index it holds names something that exists, sections
//! and items agree, and `order` puts each item after the items whose points it reads. The
//! evaluators, the `Scorer`'s specialising and the tools rely on that and check none of it again.
//! What the checker proves about types is not proven again: a value of the wrong kind where
//! an expression is evaluated is an evaluation error, never a panic.

use super::{Expr, ExprKind, InputType, Pattern, RuleSet, Target, Type, Unit};

impl RuleSet {
    /// Checks that the rule set is whole; the first inconsistency found, in words.
    pub fn validate(&self) -> Result<(), String> {
        let n_items = self.items.len();
        let n_sections = self.sections.len();
        if u16::try_from(n_items.max(self.inputs.len()).max(self.params.len())).is_err() {
            return Err("more items, inputs or parameters than 65,535".into());
        }
        if let Some(p) = self.points {
            if p.places > super::Precision::MAX_PLACES {
                return Err(format!(
                    "points with {} decimal places (at most {})",
                    p.places,
                    super::Precision::MAX_PLACES
                ));
            }
        }
        for def in &self.units {
            if def.name.is_empty() {
                return Err("a unit without a name".into());
            }
        }
        for (k, def) in self.inputs.iter().enumerate() {
            self.input_type(def.ty).map_err(|e| format!("input `{}` (#{k}): {e}", def.name))?;
        }
        for record in &self.records {
            for field in &record.fields {
                if matches!(field.ty, InputType::List { .. }) {
                    return Err(format!("field `{}` of record `{}` is a list", field.name, record.name));
                }
                self.input_type(field.ty)
                    .map_err(|e| format!("field `{}` of record `{}`: {e}", field.name, record.name))?;
            }
        }
        for p in &self.params {
            if let Some(Unit(u)) = p.unit {
                index("unit", u, self.units.len()).map_err(|e| format!("parameter `{}`: {e}", p.name))?;
            }
        }

        // Sections and items agree: each item is listed by the section it names, once.
        let mut listed = vec![false; n_items];
        for (s, section) in self.sections.iter().enumerate() {
            for &i in &section.items {
                index("item", i, n_items).map_err(|e| format!("section `{}`: {e}", section.id))?;
                let item = &self.items[usize::from(i)];
                if usize::from(item.section) != s || std::mem::replace(&mut listed[usize::from(i)], true) {
                    return Err(format!("item `{}` is not listed once, by its own section", item.id));
                }
            }
        }
        if let Some(k) = listed.iter().position(|l| !l) {
            return Err(format!("item `{}` is in no section", self.items[k].id));
        }
        for (g, group) in self.groups.iter().enumerate() {
            for &m in &group.members {
                index("item", m, n_items).map_err(|e| format!("group `{}`: {e}", group.id))?;
                if self.items[usize::from(m)].group != u16::try_from(g).ok() {
                    return Err(format!(
                        "item `{}` is in group `{}` but names another",
                        self.items[usize::from(m)].id,
                        group.id
                    ));
                }
            }
        }
        for item in &self.items {
            if let Some(g) = item.group {
                index("group", g, self.groups.len()).map_err(|e| format!("item `{}`: {e}", item.id))?;
            }
        }
        for cap in &self.caps {
            index("section", cap.section, n_sections).map_err(|e| format!("group `{}`: {e}", cap.id))?;
            for &m in &cap.members {
                index("item", m, n_items).map_err(|e| format!("group `{}`: {e}", cap.id))?;
            }
        }

        // Every item once in `order`, after the items whose points it reads.
        if self.order.len() != n_items {
            return Err(format!("`order` lists {} items of {n_items}", self.order.len()));
        }
        let mut done = vec![false; n_items];
        for &i in &self.order {
            index("item", i, n_items).map_err(|e| format!("`order`: {e}"))?;
            let item = &self.items[usize::from(i)];
            let mut reads = Vec::new();
            item.preconditions
                .iter()
                .map(|p| &p.condition)
                .chain([&item.body])
                .for_each(|e| points_read(e, &mut reads));
            if let Some(&r) = reads.iter().find(|&&r| usize::from(r) >= n_items || !done[usize::from(r)]) {
                return Err(format!(
                    "item `{}` reads the points of item #{r}, which `order` does not put before it",
                    item.id
                ));
            }
            if std::mem::replace(&mut done[usize::from(i)], true) {
                return Err(format!("`order` lists item `{}` twice", item.id));
            }
        }

        // Every expression's slots.
        for item in &self.items {
            for e in item.preconditions.iter().map(|p| &p.condition).chain([&item.body]) {
                self.expr(e, &mut Vec::new()).map_err(|m| format!("item `{}`: {m}", item.id))?;
            }
            for &r in &item.reads {
                index("input", r, self.inputs.len()).map_err(|e| format!("item `{}`: {e}", item.id))?;
            }
        }
        for rule in self.eligibility.iter().chain(&self.vetoes) {
            self.expr(&rule.condition, &mut Vec::new()).map_err(|m| format!("rule `{}`: {m}", rule.id))?;
        }
        for derived in self.outputs.iter().chain(&self.lets) {
            self.input_type(derived.ty).map_err(|e| format!("`{}`: {e}", derived.name))?;
            self.expr(&derived.value, &mut Vec::new()).map_err(|m| format!("`{}`: {m}", derived.name))?;
        }
        for wait in &self.plan.wait {
            index("input", wait.slot, self.inputs.len()).map_err(|e| format!("plan: {e}"))?;
            if let Some(when) = &wait.when {
                self.expr(when, &mut Vec::new()).map_err(|m| format!("plan: {m}"))?;
            }
        }
        for &r in &self.plan.raise {
            index("input", r, self.inputs.len()).map_err(|e| format!("plan: {e}"))?;
        }
        for e in &self.plan.assume {
            self.expr(e, &mut Vec::new()).map_err(|m| format!("plan: {m}"))?;
        }
        if let Some(rank) = &self.rank {
            if let Some(s) = rank.section {
                index("section", s, n_sections).map_err(|e| format!("rank: {e}"))?;
            }
            for t in &rank.then {
                index("input", t.slot, self.inputs.len()).map_err(|e| format!("rank: {e}"))?;
            }
        }
        for test in &self.tests {
            let at = |e: String| format!("test \"{}\": {e}", test.name);
            for &(slot, _) in &test.facts {
                index("input", slot, self.inputs.len()).map_err(at)?;
            }
            for (slot, _) in &test.lists {
                index("input", *slot, self.inputs.len()).map_err(at)?;
            }
            for x in &test.expectations {
                match x.target {
                    Target::Item(i) => index("item", i, n_items),
                    Target::Section(s) => index("section", s, n_sections),
                    Target::Group(g) => index("group", g, self.caps.len()),
                    Target::Let(l) => index("let", l, self.lets.len()),
                    Target::Output(o) => index("output", o, self.outputs.len()),
                    Target::Total | Target::Eligible | Target::Vetoed | Target::MeetsStandard => Ok(()),
                }
                .map_err(at)?;
            }
        }
        Ok(())
    }

    fn input_type(&self, ty: InputType) -> Result<(), String> {
        match ty {
            InputType::Int { unit: Some(Unit(u)) } | InputType::Decimal { unit: Some(Unit(u)) } => {
                index("unit", u, self.units.len())
            }
            InputType::Enum(e) => index("enum", e, self.enums.len()),
            InputType::List { record, max } if max <= super::MAX_LIST_ROWS => {
                index("record", record, self.records.len())
            }
            InputType::List { max, .. } => {
                Err(format!("a list of at most {max} rows (the limit is {})", super::MAX_LIST_ROWS))
            }
            InputType::Int { unit: None } | InputType::Decimal { unit: None } | InputType::Bool | InputType::Date => {
                Ok(())
            }
        }
    }

    /// The slots `e` refers to, and the units and enums its type names, exist; `rows` holds
    /// the fields' count of the rows in scope, innermost last (`ExprKind::Field` reads the
    /// innermost).
    fn expr(&self, e: &Expr, rows: &mut Vec<usize>) -> Result<(), String> {
        let missing = |what: &str, i: u16| format!("{what} #{i} does not exist");
        self.type_names(e.ty)?;
        match &e.kind {
            ExprKind::Input(s) if usize::from(*s) >= self.inputs.len() => return Err(missing("input", *s)),
            ExprKind::Param(p) if usize::from(*p) >= self.params.len() => return Err(missing("parameter", *p)),
            ExprKind::Points(i) if usize::from(*i) >= self.items.len() => return Err(missing("item", *i)),
            ExprKind::Field(k) if rows.last().is_none_or(|&n| usize::from(*k) >= n) => {
                return Err(format!("field #{k} is read outside the rows that have it"))
            }
            ExprKind::Folded { source, .. } => {
                return self.expr(source, rows);
            }
            ExprKind::Match { scrutinee, arms } => {
                if let Some((patterns, _)) = arms.iter().find(|(p, _)| p.len() != scrutinee.len()) {
                    return Err(format!("a match of {} values has an arm of {}", scrutinee.len(), patterns.len()));
                }
                if arms.iter().any(|(p, _)| p.iter().any(|p| matches!(p, Pattern::OneOf(v) if v.is_empty()))) {
                    return Err("a match arm with an empty pattern".into());
                }
            }
            ExprKind::Each { list, body, filter, .. } => {
                let fields = match self.inputs.get(usize::from(*list)).map(|i| i.ty) {
                    Some(InputType::List { record, .. }) => self
                        .records
                        .get(usize::from(record))
                        .map(|r| r.fields.len())
                        .ok_or_else(|| missing("record", record))?,
                    _ => return Err(format!("input #{list} is not a list")),
                };
                rows.push(fields);
                let inner = body.iter().chain(filter).try_for_each(|c| self.expr(c, rows));
                rows.pop();
                return inner;
            }
            _ => {}
        }
        e.children().try_for_each(|c| self.expr(c, rows))
    }

    /// The unit and the enum a type names exist.
    fn type_names(&self, ty: Type) -> Result<(), String> {
        if let Some(Unit(u)) = ty.unit {
            index("unit", u, self.units.len()).map_err(|e| format!("a type names {e}"))?;
        }
        if let Some(en) = ty.en {
            index("enum", en, self.enums.len()).map_err(|e| format!("a type names {e}"))?;
        }
        Ok(())
    }
}

/// `i` is one of `len` things called `what`.
fn index(what: &str, i: u16, len: usize) -> Result<(), String> {
    if usize::from(i) < len {
        Ok(())
    } else {
        Err(format!("{what} #{i} does not exist (there are {len})"))
    }
}

/// The items whose points `e` reads (`points(item)`).
fn points_read(e: &Expr, out: &mut Vec<u16>) {
    if let ExprKind::Points(i) = e.kind {
        out.push(i);
    }
    e.children().for_each(|c| points_read(c, out));
}
