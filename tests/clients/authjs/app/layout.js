export const metadata = { title: "Auth.js + mock-bankid" }

export default function RootLayout({ children }) {
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  )
}
