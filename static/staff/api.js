// The JSON API of the gallery: one place that sends the CSRF token and reads the error shape.
import { t } from "../texts.js";

const root = document.querySelector("[data-csrf]");

export const csrf = root ? root.dataset.csrf : "";
export const apiBase = root && root.dataset.api ? root.dataset.api : "/api/v1";

export class ApiError extends Error {
  constructor(status, code, message, body) {
    super(message);
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

// Turn a response (status + parsed body, or null) into an ApiError with plain words.
export function errorOf(status, body) {
  const error = (body && body.error) || {};
  const message = error.message || (status ? t("the server answered %(status)s", { status }) : t("the server could not be reached"));
  return new ApiError(status, error.code || `http_${status}`, message, body);
}

// Call the API: `api("PATCH", "/photos/3", {caption: "..."})` resolves with the JSON body.
export async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") headers["X-CSRF-Token"] = csrf;
  const options = { method, headers, credentials: "same-origin" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(apiBase + path, options);
  } catch {
    throw errorOf(0, null);
  }
  const data = await response.json().catch(() => null);
  if (!response.ok) throw errorOf(response.status, data);
  return data;
}

// Say something to screen readers (and show it in the polite live region).
export function announce(text) {
  const region = document.getElementById("announcer");
  if (!region) return;
  region.textContent = "";
  window.setTimeout(() => { region.textContent = text; }, 30);
}
