// Marks the page as able to run GOV.UK Frontend's JavaScript (kept in a file: the CSP forbids inline scripts).
document.body.className += ' js-enabled' + ('noModule' in HTMLScriptElement.prototype ? ' govuk-frontend-supported' : '');
