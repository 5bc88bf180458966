<?php
/*
 * Plugin Name: Test bed switches
 * Description: Copied into wp-content/mu-plugins by testing/wordpress_live.py. No mail, no cron
 * traffic, no outside HTTP, and the option "testbed_block_rest" that makes the REST API refuse
 * unauthenticated requests with 401 rest_cannot_access (as security plugins do).
 */
if (!function_exists('wp_mail')) {
    function wp_mail($to, $subject, $message, $headers = '', $attachments = array()) {
        return true;
    }
}
if (!function_exists('wp_new_blog_notification')) {
    function wp_new_blog_notification($blog_title, $blog_url, $user_id, $password) {
    }
}
add_filter('rest_authentication_errors', function ($result) {
    if (!empty($result)) {
        return $result;
    }
    if (get_option('testbed_block_rest') && !is_user_logged_in()) {
        return new WP_Error(
            'rest_cannot_access',
            'Only authenticated users can access the REST API.',
            array('status' => rest_authorization_required_code())
        );
    }
    return $result;
}, 99);
add_filter('pre_http_request', function ($pre, $args, $url) {
    return new WP_Error('http_request_blocked', 'The test bed makes no HTTP requests.');
}, 10, 3);
add_filter('automatic_updater_disabled', '__return_true');
add_filter('wp_is_application_passwords_available', '__return_false');
