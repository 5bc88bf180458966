<?php
/*
 * Router for PHP's built-in server (php -S 127.0.0.1:PORT -t DOCROOT router.php), playing the
 * part of Apache with WordPress's .htaccess: a real file is served as it is (a .php file is run),
 * anything else goes to index.php, so pretty permalinks and /wp-json/ work.
 *
 * When DOCROOT/.testbed-no-rewrite exists the server behaves like Apache without mod_rewrite:
 * only real files and directory indexes answer, every other path is a plain 404, so the REST
 * API is reachable only as /?rest_route=/... (used with plain permalinks).
 */
$root = rtrim(realpath($_SERVER['DOCUMENT_ROOT']), '/');
$path = rawurldecode(parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH) ?? '/');
$file = realpath($root . $path);
$inside = $file !== false && ($file === $root || strpos($file, $root . '/') === 0);

if ($inside && is_dir($file) && is_file($file . '/index.php')) {
    $file = $file . '/index.php';
}
if ($inside && is_file($file)) {
    if (substr($file, -4) !== '.php') {
        return false; // static file: let the built-in server send it
    }
    $script = substr($file, strlen($root));
    $_SERVER['SCRIPT_NAME'] = $script;
    $_SERVER['PHP_SELF'] = $script;
    $_SERVER['SCRIPT_FILENAME'] = $file;
    unset($_SERVER['PATH_INFO'], $_SERVER['ORIG_PATH_INFO']);
    chdir(dirname($file));
    require $file;
    return true;
}
if (is_file($root . '/.testbed-no-rewrite')) {
    http_response_code(404);
    header('Content-Type: text/html; charset=UTF-8');
    echo "<!DOCTYPE html><html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>\n";
    return true;
}
$_SERVER['SCRIPT_NAME'] = '/index.php';
$_SERVER['PHP_SELF'] = '/index.php';
$_SERVER['SCRIPT_FILENAME'] = $root . '/index.php';
unset($_SERVER['PATH_INFO'], $_SERVER['ORIG_PATH_INFO']);
chdir($root);
require $root . '/index.php';
return true;
