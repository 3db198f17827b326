//! Records and lists of records: `record Period { … }`, inputs `list of Period`, the
//! aggregates `sum(p.months for p in periods where …)`, `count`, `max`, `min`, `any`,
//! `all` over their rows, and the rows a test gives.

use std::collections::HashMap;
use std::sync::Arc;

use super::types::Ty;
use super::Checker;
use crate::diagnostic::{codes, Diagnostic};
use crate::rules::{self, EachKind, ExprKind as IrKind, InputType, RecordDef, Value};
use crate::source::Span;
use crate::syntax::ast::{self, Decl, ValueKind};

use crate::rules::MAX_LIST_ROWS;

/// The row variable of the aggregate being checked.
pub(super) struct RowScope {
    pub(super) var: String,
    pub(super) record: u16,
    pub(super) list: String,
}

const ERR: (IrKind, Ty) = (IrKind::Const(Value::Int(0)), Ty::Error);

impl<'a> Checker<'a> {
    /// Declare every `record`: its fields are checked as the fields of `input { … }` are.
    pub(super) fn declare_records(&mut self, policy: &ast::PolicyFile) {
        let mut seen: HashMap<String, Span> = HashMap::new();
        for decl in &policy.decls {
            let Decl::Record(record) = decl else { continue };
            if let Some(&first) = seen.get(&record.name.name) {
                self.duplicate("record", &record.name.name, record.name.span, first);
                continue;
            }
            seen.insert(record.name.name.clone(), record.name.span);
            let mut fields: Vec<rules::InputDef> = Vec::new();
            let mut spans: Vec<Span> = Vec::new();
            for field in &record.fields {
                if field.list.is_some() {
                    self.error(
                        Diagnostic::error(
                            codes::BAD_INPUT_DECL,
                            "a record's field cannot be a list",
                            field.ty.span,
                            "a list inside a record",
                        )
                        .with_help("declare the inner list as an input of its own"),
                    );
                    continue;
                }
                let Some(def) = self.input_def(field) else { continue };
                if let Some(k) = fields.iter().position(|f| *f.name == *field.name.name) {
                    self.duplicate("field", &field.name.name, field.name.span, spans[k]);
                    continue;
                }
                fields.push(def);
                spans.push(field.name.span);
            }
            if record.fields.is_empty() {
                self.error(
                    Diagnostic::error(
                        codes::BAD_INPUT_DECL,
                        format!("record `{}` has no fields", record.name.name),
                        record.name.span,
                        "empty record",
                    )
                    .with_help("list its fields inside the braces, e.g. `months: months 0.. \"月数\"`"),
                );
            }
            self.record_index.insert(record.name.name.clone(), self.records.len() as u16);
            self.record_spans.push((record.name.span, spans));
            self.records.push(RecordDef {
                name: Arc::from(record.name.name.as_str()),
                doc: record.docs.clone(),
                fields,
            });
        }
    }

    /// The type of an input `list of RECORD [max N]`.
    pub(super) fn list_type(&mut self, list: &ast::ListOf) -> Option<InputType> {
        let found = self.record_index.get(&list.record.name).copied();
        if let Some(&(declared, _)) = found.and_then(|r| self.record_spans.get(usize::from(r))) {
            self.resolved(list.record.span, declared);
        }
        let Some(record) = found else {
            let names: Vec<&str> = self.records.iter().map(|r| &*r.name).collect();
            let help = match self.suggest(&list.record.name, names.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!(
                    "declare it: `record {} {{ months: months 0.. \"月数\" }}`",
                    if list.record.name.is_empty() { "Period" } else { &list.record.name }
                ),
            };
            self.error(
                Diagnostic::error(
                    codes::UNKNOWN_RECORD,
                    format!("unknown record `{}`", list.record.name),
                    list.record.span,
                    "not a record",
                )
                .with_help(help),
            );
            return None;
        };
        let max = match list.max {
            None => MAX_LIST_ROWS,
            Some((n, span)) => {
                if n > u64::from(MAX_LIST_ROWS) {
                    self.error(
                        Diagnostic::error(
                            codes::BAD_INPUT_DECL,
                            format!("a list holds at most {MAX_LIST_ROWS} rows"),
                            span,
                            "bound too large",
                        )
                        .with_help(format!("write `max {MAX_LIST_ROWS}` or less, or leave the bound out")),
                    );
                }
                n.min(u64::from(MAX_LIST_ROWS)) as u32
            }
        };
        Some(InputType::List { record, max })
    }

    /// `p.field` inside an aggregate whose row variable is `p`.
    pub(super) fn field(&mut self, var: &ast::Ident, field: &ast::Ident) -> Option<(IrKind, Ty)> {
        let at = self.row_scope.as_ref().filter(|s| s.var == var.name)?.record;
        let record = &self.records[at as usize];
        let Some(k) = record.field(&field.name) else {
            let names: Vec<&str> = record.fields.iter().map(|f| &*f.name).collect();
            let list = format!("`{}` has: {}", record.name, names.join(", "));
            let help = match self.suggest(&field.name, names.iter().copied()) {
                Some(s) => format!("did you mean `{}.{s}`? {list}", var.name),
                None => list,
            };
            let message = format!("record `{}` has no field `{}`", record.name, field.name);
            self.error(Diagnostic::error(codes::UNKNOWN_FIELD, message, field.span, "no such field").with_help(help));
            return Some(ERR);
        };
        if let Some((record, fields)) = self.record_spans.get(usize::from(at)) {
            let (record, field_span) = (*record, fields.get(k).copied());
            self.resolved(var.span, record);
            if let Some(declared) = field_span {
                self.resolved(field.span, declared);
            }
        }
        let record = &self.records[at as usize];
        let def = &record.fields[k];
        let base = input_ty(def.ty);
        let ty = if def.optional { Ty::Optional(Box::new(base)) } else { base };
        Some((IrKind::Field(k as u16), ty))
    }

    /// A name that is a list input, or the row variable, used where a value is wanted.
    pub(super) fn list_as_value(&mut self, id: &ast::Ident) -> bool {
        if let Some(scope) = self.row_scope.as_ref().filter(|s| s.var == id.name) {
            let record = &self.records[scope.record as usize];
            let first = record.fields.first().map_or("FIELD", |f| &*f.name);
            let d = Diagnostic::error(
                codes::LIST_AS_VALUE,
                format!("`{}` is a row of `{}`, not a value", id.name, scope.list),
                id.span,
                "a whole row",
            )
            .with_help(format!("read one of its fields, e.g. `{}.{first}`", id.name));
            self.error(d);
            return true;
        }
        let Some(slot) = self.input_slot_of(&id.name) else { return false };
        let InputType::List { record, .. } = self.inputs[slot as usize].ty else { return false };
        let record = &self.records[record as usize];
        let numeric = record.fields.iter().find(|f| matches!(f.ty, InputType::Int { .. } | InputType::Decimal { .. }));
        let example = match numeric {
            Some(f) => format!("`sum(x.{} for x in {})` or `count(x in {})`", f.name, id.name, id.name),
            None => format!("`count(x in {})`", id.name),
        };
        self.error(
            Diagnostic::error(
                codes::LIST_AS_VALUE,
                format!("`{}` is a list of `{}`, not a value", id.name, record.name),
                id.span,
                "a list",
            )
            .with_help(format!("aggregate its rows, e.g. {example}")),
        );
        true
    }

    /// `sum(body for var in list where filter)` and the other aggregates over a list.
    pub(super) fn each(
        &mut self,
        func: &ast::Ident,
        body: Option<&ast::Expr>,
        var: &ast::Ident,
        list: &ast::Ident,
        filter: Option<&ast::Expr>,
        span: Span,
    ) -> (IrKind, Ty) {
        let kind = match func.name.as_str() {
            "sum" => EachKind::Sum,
            "count" => EachKind::Count,
            "max" => EachKind::Max,
            "min" => EachKind::Min,
            "any" => EachKind::Any,
            "all" => EachKind::All,
            other => {
                let known = ["sum", "count", "max", "min", "any", "all"];
                let help = match self.suggest(other, known.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`? Over a list: {}", known.join(", ")),
                    None => format!("over a list: {}", known.join(", ")),
                };
                self.error(
                    Diagnostic::error(
                        codes::UNKNOWN_FUNCTION,
                        format!("unknown aggregate `{other}`"),
                        func.span,
                        "not an aggregate",
                    )
                    .with_help(help),
                );
                return ERR;
            }
        };
        let bad = |this: &mut Self, message: String, at: Span, label: &str, help: String| {
            this.error(Diagnostic::error(codes::BAD_AGGREGATE, message, at, label).with_help(help));
            ERR
        };
        let name = func.name.as_str();
        let needs_body = matches!(kind, EachKind::Sum | EachKind::Max | EachKind::Min);
        match body {
            None if needs_body => {
                return bad(
                    self,
                    format!("`{name}` needs a value for each row"),
                    span,
                    "no value",
                    format!("write `{name}({}.FIELD for {} in {})`", var.name, var.name, list.name),
                )
            }
            Some(b) if !needs_body => {
                return bad(
                    self,
                    format!("`{name}` takes no value, only a condition"),
                    b.span,
                    "a value",
                    format!("write `{name}({} in {} where CONDITION)`", var.name, list.name),
                )
            }
            _ => {}
        }
        if let Some(outer) = &self.row_scope {
            let message = format!("an aggregate over a list inside another (over `{}`)", outer.list);
            let help = "aggregate each list in a `let` of its own, and combine the results".to_string();
            return bad(self, message, span, "nested aggregate", help);
        }
        let Some(slot) = self.input_slot_of(&list.name) else {
            if self.names.contains_key(&list.name) {
                let message = format!("`{}` is not a list", list.name);
                let help = "aggregates run over inputs declared `list of RECORD`".to_string();
                return bad(self, message, list.span, "not a list", help);
            }
            self.unknown_name(list, "list");
            return ERR;
        };
        let InputType::List { record, .. } = self.inputs[slot as usize].ty else {
            let message = format!("`{}` is not a list", list.name);
            let help = "aggregates run over inputs declared `list of RECORD`".to_string();
            return bad(self, message, list.span, "not a list", help);
        };
        self.reads.inputs.insert(slot);
        if let Some(u) = self.used_inputs.get_mut(slot as usize) {
            *u = true;
        }
        self.resolved_input(list.span, slot);
        // The row stands for a row of the list's record: it leads to the record.
        if let Some(&(declared, _)) = self.record_spans.get(usize::from(record)) {
            self.resolved(var.span, declared);
        }
        if self.names.contains_key(&var.name) {
            let message = format!("the row variable `{}` hides a name of the policy", var.name);
            let help = format!("call the row something else, e.g. `row`: `{name}(row in {} …)`", list.name);
            return bad(self, message, var.span, "already a name", help);
        }
        self.row_scope = Some(RowScope { var: var.name.clone(), record, list: list.name.clone() });
        let lowered_body = body.map(|b| (self.expr(b, None), b.span));
        let lowered_filter = filter.map(|f| (self.expr(f, Some(&Ty::Bool)), f.span));
        self.row_scope = None;
        let mut failed = false;
        if let Some(((_, ft), at)) = &lowered_filter {
            if !ft.is_error() && *ft != Ty::Bool {
                self.operand_error(ft, *at, "`where`", "a yes/no condition");
                failed = true;
            }
            failed |= ft.is_error();
        }
        let ty = match (&lowered_body, kind) {
            (_, EachKind::Count) => Ty::Num { int: true, unit: None },
            (_, EachKind::Any | EachKind::All) => Ty::Bool,
            (Some(((_, Ty::Error), _)), _) => Ty::Error,
            (Some(((_, Ty::Num { int, unit }), _)), EachKind::Sum) => Ty::Num { int: *int, unit: *unit },
            (Some(((_, t @ Ty::Num { .. }), _)), _) => Ty::Optional(Box::new(t.clone())),
            (Some(((_, t), at)), _) => {
                let (t, at) = (t.clone(), *at);
                self.operand_error(&t, at, &format!("`{name}`"), "a number for each row");
                Ty::Error
            }
            (None, _) => Ty::Error,
        };
        if failed || ty.is_error() {
            return ERR;
        }
        let ir = IrKind::Each {
            kind,
            list: slot,
            body: lowered_body.map(|((b, _), _)| Box::new(b)),
            filter: lowered_filter.map(|((f, _), _)| Box::new(f)),
        };
        (ir, ty)
    }

    fn input_slot_of(&self, name: &str) -> Option<u16> {
        match self.names.get(name)? {
            super::Symbol::Input(slot) => Some(*slot),
            _ => None,
        }
    }

    /// The rows a test gives for a list input: each a `{ field: value, … }` checked against
    /// the record's fields; the rows are returned with the row count as the slot's value.
    pub(super) fn test_rows(&mut self, def: &rules::InputDef, value: &ast::Value) -> Option<Vec<Vec<Value>>> {
        let InputType::List { record, max } = def.ty else { return None };
        let ValueKind::Rows(rows) = &value.kind else {
            let record = &self.records[record as usize];
            let first = record.fields.first().map_or("field", |f| &*f.name);
            self.error(
                Diagnostic::error(
                    codes::TEST_BAD_VALUE,
                    format!("test value for `{}` must be a list of rows", def.name),
                    value.span,
                    "not a list",
                )
                .with_help(format!("write `{}: [ {{ {first}: … }}, … ]`, or `[]` for none", def.name)),
            );
            return None;
        };
        if rows.len() > max as usize {
            self.error(
                Diagnostic::error(
                    codes::TEST_BAD_VALUE,
                    format!("`{}` has {} rows; it holds at most {max}", def.name, rows.len()),
                    value.span,
                    "too many rows",
                )
                .with_help(format!("give at most {max} rows")),
            );
        }
        let too_many = rows.len() > max as usize;
        let fields = self.records[record as usize].fields.clone();
        let record_name = self.records[record as usize].name.clone();
        let mut out = Vec::with_capacity(rows.len());
        let mut ok = true;
        for (r, row) in rows.iter().enumerate() {
            let mut values: Vec<Option<Value>> = vec![None; fields.len()];
            for fact in &row.fields {
                let Some(k) = fields.iter().position(|f| *f.name == *fact.name.name) else {
                    let names: Vec<&str> = fields.iter().map(|f| &*f.name).collect();
                    let help = match self.suggest(&fact.name.name, names.iter().copied()) {
                        Some(s) => format!("did you mean `{s}`? `{record_name}` has: {}", names.join(", ")),
                        None => format!("`{record_name}` has: {}", names.join(", ")),
                    };
                    self.error(
                        Diagnostic::error(
                            codes::UNKNOWN_FIELD,
                            format!("`{}[{r}]`: record `{record_name}` has no field `{}`", def.name, fact.name.name),
                            fact.name.span,
                            "no such field",
                        )
                        .with_help(help),
                    );
                    ok = false;
                    continue;
                };
                if values[k].is_some() {
                    self.error(
                        Diagnostic::error(
                            codes::TEST_BAD_VALUE,
                            format!("`{}[{r}]` sets `{}` twice", def.name, fact.name.name),
                            fact.name.span,
                            "given again",
                        )
                        .with_help("give each field once"),
                    );
                    ok = false;
                    continue;
                }
                let place = rules::InputDef {
                    name: Arc::from(format!("{}[{r}].{}", def.name, fields[k].name)),
                    ..fields[k].clone()
                };
                match self.literal_for_input(&place, &fact.value, "test value") {
                    Some(v) => values[k] = Some(v),
                    None => ok = false,
                }
            }
            let mut filled = Vec::with_capacity(fields.len());
            for (f, v) in fields.iter().zip(values) {
                match v.or(f.default).or(f.optional.then_some(Value::Absent)) {
                    Some(v) => filled.push(v),
                    None => {
                        self.error(
                            Diagnostic::error(
                                codes::TEST_MISSING_FACT,
                                format!("`{}[{r}]` does not give `{}`, which every row must have", def.name, f.name),
                                row.span,
                                "in this row",
                            )
                            .with_help(format!("add `{}: …` to the row", f.name)),
                        );
                        ok = false;
                    }
                }
            }
            out.push(filled);
        }
        (ok && !too_many).then_some(out)
    }
}

/// The type of a value of an input's (or a record field's) type.
pub(super) fn input_ty(ty: InputType) -> Ty {
    match ty {
        InputType::Int { unit } => Ty::Num { int: true, unit },
        InputType::Decimal { unit } => Ty::Num { int: false, unit },
        InputType::Bool => Ty::Bool,
        InputType::Enum(e) => Ty::Enum(e),
        InputType::Date => Ty::Date,
        InputType::List { .. } => Ty::Error,
    }
}
