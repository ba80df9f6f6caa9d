// Starts Swagger UI on the API reference page (api/routers/docs.py): a file, not an inline script,
// so the page runs under the platform's content-security policy.
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-spec"),
    dom_id: "#swagger-ui",
    deepLinking: true,
    // No call home: the online validator badge would send the spec to swagger.io.
    validatorUrl: null,
    persistAuthorization: false,
  });
})();
