<?php
// A test send with PHPMailer (Debian's libphp-phpmailer), configured from the environment;
// on a failure it prints "Mailer Error: " and PHPMailer's ErrorInfo, as its examples do.
// The same variables as send_nodemailer.js (OK_AUTH: LOGIN or PLAIN).
require '/usr/share/php/libphp-phpmailer/autoload.php';

use PHPMailer\PHPMailer\PHPMailer;
use PHPMailer\PHPMailer\SMTP;

$mail = new PHPMailer(false);
$mail->isSMTP();
$mail->Host = getenv('OK_HOST');
$mail->Port = (int) getenv('OK_PORT');
$mail->SMTPAuth = true;
$mail->AuthType = getenv('OK_AUTH');
$mail->Username = getenv('OK_USER');
$mail->Password = getenv('OK_SECRET');
$tls = getenv('OK_TLS');
$mail->SMTPSecure = $tls === 'implicit' ? PHPMailer::ENCRYPTION_SMTPS
    : ($tls === 'starttls' ? PHPMailer::ENCRYPTION_STARTTLS : '');
$mail->SMTPAutoTLS = $tls === 'starttls';
$mail->Timeout = 10;
if (getenv('OK_DEBUG')) {  // as PHPMailer's troubleshooting guide asks: the server's replies
    $mail->SMTPDebug = SMTP::DEBUG_SERVER;
    $mail->Debugoutput = 'echo';
}
$ca = getenv('OK_CA');
if ($ca) {
    $mail->SMTPOptions = ['ssl' => ['cafile' => $ca, 'verify_peer' => true, 'verify_peer_name' => true]];
}
$mail->setFrom(getenv('OK_FROM'));
$mail->addAddress(getenv('OK_TO'));
$mail->Subject = 'PHPMailer test';
$mail->Body = "Hello.\n";
if (!$mail->send()) {
    fwrite(STDERR, 'Mailer Error: ' . $mail->ErrorInfo . "\n");
    exit(1);
}
echo "sent\n";
