// The console's glue: GraphiQL + explorer, and a login helper that puts the access token in
// the Authorization header of every request (a supplier can also paste a token in Headers).
(function () {
  "use strict";
  var endpoint = window.location.pathname;
  var tokenKey = "astro.console.token";

  function token() { return window.sessionStorage.getItem(tokenKey) || ""; }

  function fetcher(params, options) {
    var headers = Object.assign(
      { "Content-Type": "application/json", "Accept": "application/json" },
      (options && options.headers) || {}
    );
    if (token() && !headers.Authorization && !headers.authorization) {
      headers.Authorization = "Bearer " + token();
    }
    return fetch(endpoint, { method: "POST", headers: headers, body: JSON.stringify(params) })
      .then(function (res) { return res.json(); });
  }

  function showWho(text) { document.getElementById("who").textContent = text; }

  document.getElementById("login").addEventListener("submit", function (event) {
    event.preventDefault();
    var email = document.getElementById("email").value;
    var password = document.getElementById("password").value;
    fetch(endpoint, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        query: "mutation Login($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken user { email roles } } }",
        variables: { e: email, p: password },
      }),
    }).then(function (res) { return res.json(); }).then(function (body) {
      if (body.errors) { showWho(body.errors[0].message); return; }
      var login = body.data.login;
      window.sessionStorage.setItem(tokenKey, login.accessToken);
      showWho(login.user.email + " (" + login.user.roles.join(", ") + ")");
      document.getElementById("password").value = "";
    });
  });

  document.getElementById("logout").addEventListener("click", function () {
    window.sessionStorage.removeItem(tokenKey);
    showWho("visitor");
  });
  if (token()) { showWho("logged in"); }

  var plugins = [];
  if (window.GraphiQLPluginExplorer && window.GraphiQLPluginExplorer.explorerPlugin) {
    plugins.push(window.GraphiQLPluginExplorer.explorerPlugin());
  }
  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(React.createElement(GraphiQL, {
    fetcher: fetcher,
    plugins: plugins,
    defaultEditorToolsVisibility: true,
  }));
})();
