//! The admin and customer read API over real HTTP, on a portfolio built
//! through the ingest API and scored by the real read side, with alerts sent
//! through the real dispatcher and local adapter.

mod admin_views;
mod common;
