//! The playground's Yew components. They draw the [`Model`](crate::model::Model)'s state and turn
//! events into [`Action`](crate::model::Action)s; they decide nothing themselves.

pub mod app;
pub mod editor;
pub mod graph;
pub mod matrix;
pub mod panels;

use std::ops::Deref;
use std::rc::Rc;

use wasm_bindgen::JsCast;
use web_sys::{Element, Event};

/// Shared data passed to components: equal when it is the same allocation, so that comparing props
/// costs nothing and a component redraws exactly when the model produced new data.
#[derive(Debug)]
pub struct Snapshot<T>(pub Rc<T>);

impl<T> Clone for Snapshot<T> {
    fn clone(&self) -> Self {
        Snapshot(Rc::clone(&self.0))
    }
}

impl<T> PartialEq for Snapshot<T> {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl<T> Deref for Snapshot<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> From<Rc<T>> for Snapshot<T> {
    fn from(value: Rc<T>) -> Self {
        Snapshot(value)
    }
}

/// The element an event happened on, or its closest ancestor matching `selector`.
pub fn closest(event: &Event, selector: &str) -> Option<Element> {
    event.target()?.dyn_into::<Element>().ok()?.closest(selector).ok().flatten()
}

/// `1 pod`, `3 pods`.
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
