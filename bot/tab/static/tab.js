// Mentorbot's tab inside Teams: follow the Teams theme, and sign in with Teams single
// sign-on when the page says a sign-in is needed. The Teams JavaScript library (served by
// this app, from the npm package) loads only inside Teams' frame: outside it (a one-time
// link in a browser) the page needs no script at all. No inline script (the CSP).
(function () {
  "use strict";
  var root = document.documentElement;
  var themes = { default: 1, dark: 1, contrast: 1 };
  if (window.parent === window) return;

  function setTheme(theme) {
    if (themes[theme]) root.setAttribute("data-theme", theme);
  }

  function signIn(teams) {
    teams.authentication.getAuthToken().then(function (token) {
      return fetch("/tab/sso", {
        method: "POST",
        credentials: "same-origin",
        headers: { Authorization: "Bearer " + token }
      });
    }).then(function (response) {
      if (response.ok) window.location.reload();
    }).catch(function () { /* the page already says how to sign in */ });
  }

  function start() {
    var teams = window.microsoftTeams;
    if (!teams) return;
    teams.app.initialize().then(function () {
      teams.app.getContext().then(function (context) {
        setTheme(context && context.app && context.app.theme);
      });
      teams.app.registerOnThemeChangeHandler(setTheme);
      if (root.getAttribute("data-signin") === "needed") signIn(teams);
    }).catch(function () { /* framed, but not by Teams */ });
  }

  var script = document.createElement("script");
  script.src = "/tab/static/vendor/MicrosoftTeams.min.js";
  script.onload = start;
  document.head.appendChild(script);
})();
