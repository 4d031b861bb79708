"""Home page (minimal until the dashboard issue lands): loads the scorer and shows its status."""

from __future__ import annotations

import os

import streamlit as st

import lychee

st.set_page_config(page_title="Lychee Rerank MM", layout="wide")
st.title("Lychee Rerank MM — analyst dashboard")
model = os.environ.get("LYCHEE_MODEL", lychee.DEFAULT_MODEL)
st.write(f"Model: `{model}`")
