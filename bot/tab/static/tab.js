// Mentorbot's tab inside Teams: follow the Teams theme, and sign in with Teams single
// sign-on when the page says a sign-in is needed. Outside Teams (a one-time link in a
// browser) it does nothing. Served from the app; no inline script (the CSP).
(function () {
  "use strict";
  var root = document.documentElement;
  var themes = { default: 1, dark: 1, contrast: 1 };
  function setTheme(theme) {
    if (themes[theme]) root.setAttribute("data-theme", theme);
  }
  var teams = window.microsoftTeams;
  if (!teams || window.parent === window) return;
  teams.app.initialize().then(function () {
    teams.app.getContext().then(function (context) {
      setTheme(context && context.app && context.app.theme);
    });
    teams.app.registerOnThemeChangeHandler(setTheme);
    if (root.getAttribute("data-signin") !== "needed") return;
    teams.authentication.getAuthToken().then(function (token) {
      return fetch("/tab/sso", {
        method: "POST",
        credentials: "same-origin",
        headers: { Authorization: "Bearer " + token }
      });
    }).then(function (response) {
      if (response.ok) window.location.reload();
    }).catch(function () { /* the page already says how to sign in */ });
  }).catch(function () { /* not inside Teams after all */ });
})();
