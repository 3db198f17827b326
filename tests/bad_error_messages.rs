//! Messages known to be unclear, recorded as snapshots until someone improves them.
//!
//! Each test says what is wrong with its message. When a fix lands, the snapshot
//! changes: check that the new message is the clear one, then move the case into the
//! corpus (`tests/<feature>/bad/`) and delete it here.
//!
//! Fixed and moved to the corpus: the `extends` cycle path now ends where it closes
//! (`tests/extends/bad/cycle_a.policy`), and `override` of a misspelt name suggests the
//! inherited one (`tests/extends/bad/override_missing_param.policy`).
